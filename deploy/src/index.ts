export { loadOrCreateSecrets, type PlatformSecrets } from './secrets.ts';
export { createDemoLesson, type DemoLesson } from './demo-lesson.ts';
