export { LessonRecorder } from './lesson-recorder.ts';
export { RecorderClient, recorderClientFromEnv, type RecordingLog } from './recorder-client.ts';
