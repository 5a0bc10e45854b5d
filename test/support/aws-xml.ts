// AWS-shaped XML bodies, so SDK clients parse the local front's answers and errors exactly
// as they parse AWS's.
import { randomUUID } from 'node:crypto';

export function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

export const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** An STS (awsQuery protocol) error: https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html */
export function stsErrorXml(code: string, message: string, type: 'Sender' | 'Receiver' = 'Sender'): string {
  return `<ErrorResponse xmlns="${STS_NS}"><Error><Type>${type}</Type><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}

/** An S3 REST error: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html */
export function s3ErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message><RequestId>${randomUUID()}</RequestId><HostId>local-aws</HostId></Error>`;
}

/** Pulls the text of the first `<tag>` out of a small, trusted XML document (RGW's answers). */
export function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return m?.[1]?.replace(
    /&lt;|&gt;|&amp;|&apos;|&quot;/g,
    (e) => ({ '&lt;': '<', '&gt;': '>', '&amp;': '&', '&apos;': "'", '&quot;': '"' })[e]!,
  );
}
