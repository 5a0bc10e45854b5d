/**
 * S3 limits and the sink's memory budget, named once.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html
 * ("Amazon S3 multipart upload limits"): parts are 5 MiB to 5 GiB (the last part may be
 * smaller), at most 10,000 parts per upload, objects up to 5 TiB.
 */
const MiB = 1024 * 1024;

/** Minimum size of every part but the last (AWS multipart upload limits). */
export const S3_MIN_PART_SIZE = 5 * MiB;
/** Maximum size of one part (AWS multipart upload limits). */
export const S3_MAX_PART_SIZE = 5 * 1024 * MiB;
/** Maximum number of parts in one multipart upload (AWS multipart upload limits). */
export const S3_MAX_PARTS = 10_000;

/**
 * Part size used by the sink. 8 MiB × 10,000 parts = 78 GiB per object, far above MAX FILE
 * SIZE's 4 GiB ceiling (docs/exports.md, "Options"), so a file never runs out of part numbers.
 */
export const PART_SIZE = 8 * MiB;
/**
 * Parts uploading at once per file. Memory per running export is bounded by
 * (PARTS_IN_FLIGHT + 1) × PART_SIZE: the parts on the wire plus the one being filled.
 */
export const PARTS_IN_FLIGHT = 4;

/** Retries of one S3 request on throttling, 500s and connection resets (docs/exports.md "Retries"). */
export const RETRY_MAX_ATTEMPTS = 8;
/** First backoff ceiling; doubles per attempt up to RETRY_MAX_DELAY_MS ("full jitter"). */
export const RETRY_BASE_DELAY_MS = 100;
export const RETRY_MAX_DELAY_MS = 5_000;
