// The workflow module the worker bundles: every workflow function it registers.
export { syncWorkflow } from './sync';
export { syncCommandWorkflow } from './sync-command';
export { workerWarmUpWorkflow } from './warm-up';
