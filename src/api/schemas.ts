// zod schemas of every request and response body of the HTTP API. They validate requests,
// generate the OpenAPI document (src/api/openapi.ts), and let tests check real responses
// against what the document promises.
import { z } from 'zod';
import type { Progress } from '../sync/progress';
import { startRequestBodySchema } from '../sync/start-options';
import { SYNC_STATE_NAMES } from '../sync/vocabulary';
import { ERROR_NAMES } from './errors';

export { startRequestBodySchema };

/** pause, resume, commit and reverse take no parameters: an empty JSON object (or no body). */
export const commandRequestBodySchema = z
  .strictObject({}, { error: 'the request body must be a JSON object' })
  .meta({ description: 'An empty JSON object, e.g. `{ }`. A missing or empty body counts as `{}`.' });

export const successEnvelopeSchema = z
  .strictObject({ success: z.literal(true) })
  .meta({ description: 'The command was accepted.' });

export const errorEnvelopeSchema = z
  .strictObject({
    success: z.literal(false),
    error: z.string().meta({ description: 'Stable error name', examples: [...ERROR_NAMES] }),
    errorDescription: z.string().meta({ description: 'What went wrong, for people' }),
  })
  .meta({ description: 'The request failed and changed nothing.' });

const syncStateSchema = z.enum(SYNC_STATE_NAMES);
const wholeSeconds = z.number().int().nonnegative();
const count = z.number().int().nonnegative();

const verificationSideSchema = z.strictObject({
  estimatedDocumentCount: count.meta({ description: 'documents in the verified collections (the copy\'s count, raised to the hashed count)' }),
  hashedDocumentCount: count.meta({ description: 'documents compared by the first pass on this cluster' }),
  lagTimeSeconds: wholeSeconds.meta({ description: 'seconds between the source\'s newest time and the time through which differences were rechecked' }),
  totalCollectionCount: count,
  scannedCollectionCount: count,
  phase: z.enum(['not started', 'initial hashing', 'stream hashing']),
});

export const progressSchema = z
  .strictObject({
    state: syncStateSchema,
    error: z.string().optional().meta({ description: 'FAILED only (c2c-sync): the name of the error that stopped the sync' }),
    errorDescription: z.string().optional().meta({ description: 'FAILED only (c2c-sync): what went wrong, and what is left to do' }),
    canCommit: z.boolean(),
    canWrite: z.boolean().nullable(),
    info: z.enum(['collection copy', 'change event application', 'waiting for commit to complete', 'commit completed']).nullable(),
    ceaStage: z.enum(['collection copy drain', 'steady state']).nullable(),
    lag: z
      .strictObject({
        overallLagSeconds: wholeSeconds,
        crudLagSeconds: wholeSeconds.nullable(),
        ddlLagSeconds: wholeSeconds.nullable(),
      })
      .nullable(),
    lagTimeSeconds: wholeSeconds.nullable(),
    totalEventsApplied: count.nullable(),
    collectionCopy: z.strictObject({ estimatedTotalBytes: count, estimatedCopiedBytes: count }).nullable(),
    indexBuilding: z
      .strictObject({ indexesBuilt: count, totalIndexesToBuild: count, collectionsFinished: count, collectionsTotal: count })
      .optional(),
    directionMapping: z
      .strictObject({
        Source: z.string().meta({ examples: ['cluster0: localhost:27017'] }),
        Destination: z.string().meta({ examples: ['cluster1: localhost:27018'] }),
      })
      .nullable(),
    estimatedOplogTimeRemaining: z.string().optional(),
    estimatedSecondsToCEACatchup: wholeSeconds.optional().meta({ description: 'RUNNING in CEA while the lag falls: seconds until it reaches 0 at the recent rate' }),
    mongosyncID: z.string().nullable(),
    coordinatorID: z.string().nullable(),
    source: z.strictObject({ pingLatencyMs: z.number().int() }).optional().meta({ description: 'last ping round trip to the source in ms (-1: failed); left out below 1 ms and until measured' }),
    destination: z.strictObject({ pingLatencyMs: z.number().int() }).optional().meta({ description: 'the same for the destination' }),
    verification: z
      .strictObject({ source: verificationSideSchema, destination: verificationSideSchema })
      .nullable()
      .meta({
        description:
          'The embedded verifier (mongosync 1.9+). null in IDLE and when the sync was started with `verification: {enabled: false}`. ' +
          'Confirmed mismatches are named in `warnings`.',
      }),
    warnings: z.array(z.string()).optional(),
  })
  .meta({ description: "mongosync's progress object" }) satisfies z.ZodType<Progress>; // what buildProgress returns

export const progressEnvelopeSchema = z
  .strictObject({ progress: progressSchema, success: z.literal(true) });

export type CommandRequestBody = z.infer<typeof commandRequestBodySchema>;
export type ProgressEnvelope = z.infer<typeof progressEnvelopeSchema>;
