import { useEffect, useState } from 'preact/hooks';
import type { FileEntity } from '../api';
import { familyOf, typeLabel } from '../format';

/** Text previews show the start of the file only: a range request, never the whole of a large log. */
const TEXT_PREVIEW_BYTES = 64 * 1024;

function TextPreview(props: { url: string; name: string }) {
  const [text, setText] = useState<string>();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const controller = new AbortController();
    fetch(props.url, { headers: { range: `bytes=0-${TEXT_PREVIEW_BYTES - 1}` }, signal: controller.signal })
      .then((response) => (response.ok ? response.text() : Promise.reject(new Error(String(response.status)))))
      .then((body) => setText(body.slice(0, TEXT_PREVIEW_BYTES)))
      .catch((error: Error) => {
        if (error.name !== 'AbortError') setFailed(true);
      });
    return () => controller.abort();
  }, [props.url]);
  if (failed) return <p class="no-preview">The text could not be loaded for a preview.</p>;
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable from the keyboard.
    <section class="text-preview" tabIndex={0} aria-label={`Start of ${props.name}`}>
      <pre>{text ?? 'Loading…'}</pre>
    </section>
  );
}

/** Larger PDFs are not fetched for a preview: Download opens them. */
const PDF_PREVIEW_BYTES = 20 * 1000 * 1000;

/**
 * Storages serve PDFs as attachments (the server's own files too), which an `<object>` would not show: the bytes are
 * fetched and shown from a `blob:` URL of this page, when the browser has a PDF viewer at all.
 */
function PdfPreview(props: { file: FileEntity }) {
  const [blobUrl, setBlobUrl] = useState<string>();
  const [failed, setFailed] = useState(false);
  const viewer = navigator.pdfViewerEnabled !== false;
  const small = props.file.size * 1000 <= PDF_PREVIEW_BYTES;
  useEffect(() => {
    if (!viewer || !small) return;
    const controller = new AbortController();
    let made: string | undefined;
    fetch(props.file.url, { signal: controller.signal })
      .then((response) => (response.ok ? response.blob() : Promise.reject(new Error(String(response.status)))))
      .then((blob) => {
        made = URL.createObjectURL(new Blob([blob], { type: 'application/pdf' }));
        setBlobUrl(made);
      })
      .catch((error: Error) => {
        if (error.name !== 'AbortError') setFailed(true);
      });
    return () => {
      controller.abort();
      if (made) URL.revokeObjectURL(made);
    };
  }, [props.file.url, viewer, small]);
  if (!viewer) return <p class="no-preview">This browser shows no PDFs: use Download.</p>;
  if (!small) return <p class="no-preview">This PDF is too large for a preview: use Download.</p>;
  if (failed) return <p class="no-preview">The PDF could not be loaded for a preview: use Download.</p>;
  if (!blobUrl) return <p class="no-preview">Loading…</p>;
  return <object class="preview-pdf" data={blobUrl} type="application/pdf" aria-label={`PDF ${props.file.name}`} />;
}

export function FilePreview(props: { file: FileEntity }) {
  const { file } = props;
  const family = familyOf(file.mime);
  if (family === 'image') {
    const src = file.formats?.large?.url ?? file.formats?.medium?.url ?? file.url;
    return <img class="preview-media" src={src} alt={file.alternativeText ?? ''} />;
  }
  if (family === 'video') {
    // biome-ignore lint/a11y/useMediaCaption: user uploads come without caption tracks.
    return <video class="preview-media" src={file.url} controls preload="metadata" aria-label={file.name} />;
  }
  if (family === 'audio') {
    // biome-ignore lint/a11y/useMediaCaption: user uploads come without caption tracks.
    return <audio src={file.url} controls preload="metadata" aria-label={file.name} />;
  }
  if (file.mime === 'application/pdf') return <PdfPreview file={file} />;
  if (file.mime.startsWith('text/')) return <TextPreview url={file.url} name={file.name} />;
  return (
    <div class="no-preview">
      <span class={`tile tile-${family}`} aria-hidden="true">
        {typeLabel(file)}
      </span>
      <p>No preview for {file.mime}.</p>
    </div>
  );
}
