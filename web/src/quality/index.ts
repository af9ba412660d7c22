// Quality of a lesson's media from getStats (docs/network-lab.md, "Quality numbers").
export { isProbation, qualitySample, type QualitySample, type StatsEntry } from './sample.ts';
export { QualityTracker, type QualitySummary, type TrackerOptions } from './tracker.ts';
export { selectedPair } from './selected-pair.ts';
