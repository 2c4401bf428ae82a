import type { StoredFile, StoredRef } from 'upload-provider';

/**
 * What the mirror keeps in `providerMetadata` when a mirror answered with its own key or metadata: the primary's
 * metadata, and each mirror's ref. When every provider stored the same key with no metadata, the primary's metadata
 * is kept unwrapped, so rows written by the primary alone are served the same way.
 */
interface Mirrored {
  mirrored: { primary: Record<string, unknown> | null; mirrors: Array<StoredRef | null> };
}

function mirroredOf(ref: StoredRef): Mirrored['mirrored'] | null {
  const meta = ref.providerMetadata as Partial<Mirrored> | null | undefined;
  const inner = meta?.mirrored;
  return inner && typeof inner === 'object' && Array.isArray(inner.mirrors) ? inner : null;
}

/** The ref to hand the primary. */
export function primaryRef(ref: StoredRef): StoredRef {
  const inner = mirroredOf(ref);
  if (!inner) return ref;
  return { key: ref.key, providerMetadata: inner.primary };
}

/** The ref to hand mirror `i` (0 for the first mirror). */
export function mirrorRef(ref: StoredRef, i: number): StoredRef {
  return mirroredOf(ref)?.mirrors[i] ?? { key: ref.key };
}

/** The mirror's metadata for a file the primary stored as `primary` and mirror `i` as `mirrors[i]` (null: not stored). */
export function combineMetadata(
  primary: StoredFile,
  mirrors: Array<StoredFile | null>,
): Record<string, unknown> | null | undefined {
  const plain = mirrors.every((m) => m === null || (m.key === primary.key && m.providerMetadata == null));
  if (plain) return primary.providerMetadata;
  const mirrored: Mirrored['mirrored'] = {
    primary: primary.providerMetadata ?? null,
    mirrors: mirrors.map((m) => (m ? { key: m.key, providerMetadata: m.providerMetadata ?? null } : null)),
  };
  return { mirrored };
}
