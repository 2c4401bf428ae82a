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
  if (file.mime === 'application/pdf') {
    return (
      <object class="preview-pdf" data={file.url} type="application/pdf" aria-label={`PDF ${file.name}`}>
        <p class="no-preview">This browser shows no PDF here: use Download.</p>
      </object>
    );
  }
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
