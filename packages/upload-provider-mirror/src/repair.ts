import { isProviderError, type UploadProvider } from 'upload-provider';
import type { RepairLog, RepairRecord } from './repair-log.js';

export interface RepairResult {
  /** Records whose mirror write now succeeded (or no longer applies: the primary's object is gone). */
  repaired: number;
  /** Records that failed again; they are back in the log for the next run. */
  failed: number;
}

/**
 * Replays every record of the log, one at a time: an upload is copied again from the primary (or, when the primary
 * no longer has the object, removed from the mirror too); a delete is repeated.
 */
export async function repairFromLog(
  log: RepairLog,
  primary: UploadProvider,
  mirrors: readonly UploadProvider[],
): Promise<RepairResult> {
  const { records, done } = await log.take();
  const again: RepairRecord[] = [];
  let repaired = 0;
  for (const record of records) {
    const mirror = mirrors[record.mirror];
    try {
      if (!mirror) throw new Error(`the log names mirror ${record.mirror}, and there are ${mirrors.length}`);
      await replay(record, primary, mirror);
      repaired++;
    } catch (error) {
      again.push({
        ...record,
        at: new Date().toISOString(),
        error: isProviderError(error) ? `${error.code}: ${error.message}` : String(error),
      });
    }
  }
  await log.append(again);
  await done();
  return { repaired, failed: again.length };
}

async function replay(record: RepairRecord, primary: UploadProvider, mirror: UploadProvider): Promise<void> {
  if (record.op === 'delete') {
    await mirror.delete(record.ref);
    return;
  }
  const info = primary.stat ? await primary.stat(record.ref) : undefined;
  if (info === null) {
    // Deleted since: the mirror must not keep a copy either.
    await mirror.delete({ key: record.ref.key });
    return;
  }
  let body: Awaited<ReturnType<NonNullable<UploadProvider['read']>>>;
  try {
    body = await primary.read!(record.ref);
  } catch (error) {
    if (!isProviderError(error, 'NOT_FOUND')) throw error;
    await mirror.delete({ key: record.ref.key });
    return;
  }
  await mirror.upload({
    key: record.ref.key,
    body,
    ...(info ? { size: info.size } : {}),
    mime: record.mime,
    name: record.name,
    ...(record.disposition ? { disposition: record.disposition } : {}),
    ...(record.cacheControl ? { cacheControl: record.cacheControl } : {}),
    ...(record.metadata ? { metadata: record.metadata } : {}),
  });
}
