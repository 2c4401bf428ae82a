// The page's script (bundled by the test with esbuild): Uppy with its tus plugin uploads a generated file to the
// server's tus endpoint and reports what it sent and what the final response said.
import Uppy from '@uppy/core';
import Tus from '@uppy/tus';

/** @param {Uint8Array} bytes */
async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

globalThis.runUpload = async (endpoint, token, size) => {
  const bytes = new Uint8Array(size);
  // getRandomValues fills at most 64 KiB at a time.
  for (let at = 0; at < size; at += 65536) crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65536)));
  bytes[0] = 0;
  const uppy = new Uppy({ autoProceed: false }).use(Tus, {
    endpoint,
    chunkSize: 1024 * 1024,
    retryDelays: [0],
    headers: { authorization: `Bearer ${token}` },
  });
  // Read the final response when Uppy reports success (it lets go of the request right after).
  let final = null;
  uppy.on('upload-success', (_file, response) => {
    const xhr = response.body?.xhr;
    if (xhr) final = { status: xhr.status, body: xhr.responseText };
  });
  uppy.addFile({ name: 'from-uppy.bin', type: 'application/octet-stream', data: new Blob([bytes]) });
  const result = await uppy.upload();
  const done = result?.successful?.[0];
  const answer = final;
  return {
    failed: (result?.failed ?? []).map((f) => String(f.error)),
    uploadURL: done?.uploadURL ?? null,
    status: answer?.status ?? null,
    body: answer?.body ?? null,
    sent: await sha256Hex(bytes),
  };
};
