/** Structured JSON logs (pino). Citizens' personal data is never logged: redact known fields. */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'motcua'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['req.headers.authorization', '*.password', '*.phone', '*.email', '*.fullName', '*.address', '*.idNumber'],
      censor: '[redacted]',
    },
  });
}
