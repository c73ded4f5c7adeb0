/**
 * Structured JSON logs (pino). Personal data never reaches a log line: request logs carry method,
 * path without query string, status and duration; known personal fields are redacted as a second
 * line of defence should one ever be passed in.
 */
import pino, { type Logger } from 'pino';

export const REDACT_PATHS = [
  'parentName', 'mobile', 'phone', 'name', 'password', 'totp', 'authorization', 'cookie',
  '*.parentName', '*.mobile', '*.phone', '*.password', '*.totp', '*.authorization', '*.cookie',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'peixun' } }, destination);
}
