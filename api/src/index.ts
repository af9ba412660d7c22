// Public surface of @duet/api.
export { loadApiConfig, ConfigError, API_SECRET_VARS, type ApiConfig } from './config.ts';
export { createApiServer, type ApiServer, type ApiServerOptions } from './server.ts';
export { LESSON_STATUSES, LESSON_TRANSITIONS, type LessonStatus } from './domain/lesson-status.ts';
