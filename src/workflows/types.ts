// Plain types shared by workflow code and activities (no runtime imports).

export type ClusterLabel = 'cluster0' | 'cluster1';

/** A cluster time: seconds since the epoch and the increment within the second. */
export interface OpTime {
  t: number;
  i: number;
}

export function compareOpTime(a: OpTime, b: OpTime): number {
  return a.t !== b.t ? a.t - b.t : a.i - b.i;
}
