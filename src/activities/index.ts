// Activities are built by a factory that receives their clients, so tests can pass their own.
export interface ActivityDeps {
  /** labels of the clusters this worker can reach, e.g. ['cluster0', 'cluster1'] */
  clusterLabels: string[];
}

export function createActivities(deps: ActivityDeps) {
  return {
    async describeClusters(): Promise<string[]> {
      return [...deps.clusterLabels];
    },
  };
}

export type SyncActivities = ReturnType<typeof createActivities>;
