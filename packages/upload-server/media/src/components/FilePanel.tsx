import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api, FileEntity } from '../api';
import { dimensions, entityBytes, formatBytes, formatDate } from '../format';
import { signedUrlExpiry } from '../signed';
import type { UploadTransport } from '../uploads/transport';
import { FilePreview } from './FilePreview';

const absolute = (url: string) => new URL(url, window.location.href).href;

function useModal(ref: { current: HTMLDialogElement | null }, open: boolean) {
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [ref, open]);
}

function LinkSection(props: { api: Api; file: FileEntity }) {
  const [file, setFile] = useState(props.file);
  const [status, setStatus] = useState('');
  useEffect(() => setFile(props.file), [props.file]);
  const expiry = file.isUrlSigned ? signedUrlExpiry(file.url) : undefined;

  const copy = async () => {
    let current = file;
    try {
      // A signed URL may have aged since the list was loaded: ask for a fresh one before handing it out.
      if (file.isUrlSigned) {
        current = await props.api.one(file.id);
        setFile(current);
      }
      const link = absolute(current.url);
      if (navigator.clipboard) {
        await navigator.clipboard.writeText(link);
      } else {
        // Outside a secure context (plain http on another host) there is no Clipboard API: copy the selection.
        const field = document.getElementById('file-url') as HTMLInputElement | null;
        field?.select();
        if (!document.execCommand('copy')) throw new Error('the browser refused');
      }
      setStatus('Link copied');
    } catch (error) {
      setStatus(`Could not copy: ${(error as Error).message}. Select the link and copy it.`);
    }
  };

  return (
    <section aria-labelledby="link-title" class="panel-section">
      <h3 id="link-title">Link</h3>
      <label for="file-url" class="visually-hidden">
        File URL
      </label>
      <input
        id="file-url"
        class="url"
        readOnly
        value={absolute(file.url)}
        onFocus={(event) => event.currentTarget.select()}
      />
      {file.isUrlSigned ? (
        <p class="hint" data-testid="signed-expiry">
          Signed link (the storage is private):{' '}
          {expiry ? (
            <>
              valid until <time dateTime={expiry.toISOString()}>{formatDate(expiry.toISOString())}</time>.
            </>
          ) : (
            'valid for a limited time.'
          )}
        </p>
      ) : null}
      <div class="actions">
        <button type="button" onClick={copy}>
          Copy link
        </button>
        <a class="button" href={file.url} download={file.name}>
          Download
        </a>
      </div>
      <p role="status" class="hint">
        {status}
      </p>
    </section>
  );
}

function EditSection(props: { api: Api; file: FileEntity; onChanged(file: FileEntity): void }) {
  const { file } = props;
  const [name, setName] = useState(file.name);
  const [alt, setAlt] = useState(file.alternativeText ?? '');
  const [caption, setCaption] = useState(file.caption ?? '');
  const [status, setStatus] = useState<{ text: string; error?: boolean }>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setName(file.name);
    setAlt(file.alternativeText ?? '');
    setCaption(file.caption ?? '');
  }, [file]);

  return (
    <form
      class="panel-section edit"
      aria-labelledby="edit-title"
      onSubmit={async (event) => {
        event.preventDefault();
        setBusy(true);
        try {
          const updated = await props.api.update(file.id, {
            name: name.trim(),
            alternativeText: alt.trim() || null,
            caption: caption.trim() || null,
          });
          setStatus({ text: 'Saved' });
          props.onChanged(updated);
        } catch (error) {
          setStatus({ text: (error as Error).message, error: true });
        } finally {
          setBusy(false);
        }
      }}
    >
      <h3 id="edit-title">Details</h3>
      <label for="edit-name">Name</label>
      <input id="edit-name" required value={name} onInput={(event) => setName(event.currentTarget.value)} />
      <label for="edit-alt">Alternative text</label>
      <input
        id="edit-alt"
        value={alt}
        onInput={(event) => setAlt(event.currentTarget.value)}
        aria-describedby="edit-alt-hint"
      />
      <p id="edit-alt-hint" class="hint">
        {file.mime.startsWith('image/')
          ? 'What the picture shows, for people who cannot see it.'
          : 'A short description, for people who cannot open the file.'}
      </p>
      <label for="edit-caption">Caption</label>
      <textarea id="edit-caption" rows={2} value={caption} onInput={(event) => setCaption(event.currentTarget.value)} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save details'}
        </button>
        <span role="status" class={status?.error ? 'error' : 'hint'}>
          {status?.text ?? ''}
        </span>
      </div>
    </form>
  );
}

function ReplaceSection(props: { file: FileEntity; transport: UploadTransport; onChanged(file: FileEntity): void }) {
  const [progress, setProgress] = useState<number>();
  const [status, setStatus] = useState<{ text: string; error?: boolean }>();
  const controller = useRef<AbortController>(undefined);
  useEffect(() => () => controller.current?.abort(), []);

  const replace = async (file: File) => {
    controller.current = new AbortController();
    setProgress(0);
    setStatus(undefined);
    try {
      const entity = await props.transport({
        file,
        replaceId: props.file.id,
        signal: controller.current.signal,
        onProgress: (sent, total) => setProgress(total > 0 ? sent / total : 0),
      });
      setStatus({ text: 'Replaced' });
      props.onChanged(entity);
    } catch (error) {
      setStatus({ text: (error as Error).message, error: true });
    } finally {
      setProgress(undefined);
    }
  };

  return (
    <section class="panel-section" aria-labelledby="replace-title">
      <h3 id="replace-title">Replace the file</h3>
      <p class="hint">
        The file keeps its id and its links to entries; it takes the new file's name, and the old content is removed.
      </p>
      <input
        id="replace-picker"
        class="visually-hidden"
        type="file"
        disabled={progress !== undefined}
        onChange={(event) => {
          const picked = event.currentTarget.files?.[0];
          event.currentTarget.value = '';
          if (picked) void replace(picked);
        }}
      />
      <div class="actions">
        <label for="replace-picker" class="button">
          Choose a new file
        </label>
        {progress !== undefined ? (
          <>
            <progress max={100} value={Math.round(progress * 100)} aria-label="Replacement upload" />
            <button type="button" class="small" onClick={() => controller.current?.abort()}>
              Cancel
            </button>
          </>
        ) : null}
      </div>
      <p role="status" class={status?.error ? 'error' : 'hint'}>
        {status?.text ?? ''}
      </p>
    </section>
  );
}

function DeleteSection(props: { api: Api; file: FileEntity; onDeleted(file: FileEntity): void }) {
  const confirm = useRef<HTMLDialogElement>(null);
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<string>();
  useModal(confirm, asking);
  return (
    <section class="panel-section" aria-labelledby="delete-title">
      <h3 id="delete-title" class="visually-hidden">
        Delete
      </h3>
      <button type="button" class="danger" onClick={() => setAsking(true)}>
        Delete file
      </button>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      <dialog
        ref={confirm}
        class="confirm"
        role="alertdialog"
        aria-labelledby="confirm-title"
        aria-describedby="confirm-text"
        onClose={() => setAsking(false)}
      >
        <h2 id="confirm-title">Delete {props.file.name}?</h2>
        <p id="confirm-text">The file and its resized versions are removed from the storage. This cannot be undone.</p>
        <div class="actions">
          <button type="button" autofocus onClick={() => setAsking(false)}>
            Keep it
          </button>
          <button
            type="button"
            class="danger"
            onClick={async () => {
              setAsking(false);
              try {
                await props.api.remove(props.file.id);
                props.onDeleted(props.file);
              } catch (failure) {
                setError((failure as Error).message);
              }
            }}
          >
            Delete
          </button>
        </div>
      </dialog>
    </section>
  );
}

export function FilePanel(props: {
  api: Api;
  file: FileEntity;
  canWrite: boolean;
  transport: UploadTransport;
  onClose(): void;
  onChanged(file: FileEntity): void;
  onDeleted(file: FileEntity): void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const { file } = props;
  useModal(dialog, true);
  return (
    <dialog ref={dialog} class="panel" aria-labelledby="panel-title" onClose={props.onClose}>
      <header class="panel-head">
        <h2 id="panel-title">{file.name}</h2>
        <button type="button" class="small" onClick={() => dialog.current?.close()} aria-label="Close the file panel">
          Close
        </button>
      </header>
      <div class="panel-body">
        <div class="panel-side">
          <div class="preview">
            <FilePreview file={file} />
          </div>
          <dl class="facts">
            <dt>Type</dt>
            <dd>{file.mime}</dd>
            <dt>Size</dt>
            <dd>{formatBytes(entityBytes(file))}</dd>
            <dt>Dimensions</dt>
            <dd>{dimensions(file)}</dd>
            <dt>Uploaded</dt>
            <dd>
              <time dateTime={file.createdAt}>{formatDate(file.createdAt)}</time>
            </dd>
            {props.canWrite ? null : (
              <>
                <dt>Alternative text</dt>
                <dd>{file.alternativeText || '—'}</dd>
                <dt>Caption</dt>
                <dd>{file.caption || '—'}</dd>
              </>
            )}
          </dl>
        </div>
        <div class="panel-main">
          <LinkSection api={props.api} file={file} />
          {props.canWrite ? (
            <>
              <EditSection api={props.api} file={file} onChanged={props.onChanged} />
              <ReplaceSection file={file} transport={props.transport} onChanged={props.onChanged} />
              <DeleteSection api={props.api} file={file} onDeleted={props.onDeleted} />
            </>
          ) : null}
        </div>
      </div>
    </dialog>
  );
}
