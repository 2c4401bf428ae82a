// Rows for the `files` table, shared by the benchmarks that need a large table: each row differs (names, times,
// sizes, five MIME types in turn), and `fillFiles` inserts them in batches of 1,000 in one transaction.

/** The i-th generated row, in the column names of upload-server's `files` table. */
export function row(i) {
  const mimes = ['image/jpeg', 'image/png', 'application/pdf', 'text/plain', 'video/mp4'];
  const hex = ((i * 2654435761) >>> 0).toString(16).padStart(8, '0');
  const at = new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString();
  return {
    document_id: `d${hex}${i.toString(36).padStart(6, '0')}`,
    name: `file-${hex}.jpg`,
    alternative_text: null,
    caption: i % 3 === 0 ? null : `caption ${i}`,
    width: 100 + (i % 1900),
    height: 100 + (i % 1000),
    formats: null,
    hash: `h${hex}${i}`,
    ext: '.jpg',
    mime: mimes[i % mimes.length],
    size: (i % 5000) / 10,
    size_in_bytes: (i % 5000) * 100,
    url: `/uploads/file-${hex}.jpg`,
    preview_url: null,
    provider: 'local',
    provider_metadata: null,
    folder_path: '/',
    object_key: `file-${hex}_${i}.jpg`,
    secret_hash: null,
    created_at: at,
    updated_at: at,
  };
}

/** Inserts `count` generated rows. */
export async function fillFiles(db, count) {
  const batch = 1000;
  await db.transaction().execute(async (trx) => {
    for (let start = 0; start < count; start += batch) {
      const values = [];
      for (let i = start; i < Math.min(start + batch, count); i++) values.push(row(i));
      await trx.insertInto('files').values(values).execute();
    }
  });
}
