/** Start-up wiring of secrets and AWS connections into the server's services. */
import { SecretBox } from '../catalog/secret-box.js';
import type { FerryCoordinator } from './coordinator.js';
import { AWS_CONNECTIONS_VIEW_SQL, AwsConnections, installConnectionHandlers } from './connections.js';
import type { Services } from './services.js';

export async function installConnections(services: Services, coordinator: FerryCoordinator): Promise<AwsConnections> {
  const box = await SecretBox.open({ dataDir: services.config.dataDir, keyBase64: services.config.secretsKey });
  const aws = new AwsConnections(services, box);
  await coordinator.systemConnection().run(AWS_CONNECTIONS_VIEW_SQL);
  installConnectionHandlers(services, aws);
  await aws.start();
  services.aws = aws;
  return aws;
}
