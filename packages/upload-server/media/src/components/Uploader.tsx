import { useRef, useState } from 'preact/hooks';
import { formatBytes } from '../format';
import type { UploadItem } from '../uploads/queue';

const STATUS_TEXT: Record<UploadItem['status'], string> = {
  waiting: 'Waiting',
  uploading: 'Uploading',
  done: 'Uploaded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

function UploadRow(props: { item: UploadItem; onCancel(): void }) {
  const { item } = props;
  const percent = Math.round(item.progress * 100);
  const active = item.status === 'waiting' || item.status === 'uploading';
  return (
    <li class={`upload upload-${item.status}`} data-upload-name={item.name}>
      <div class="upload-head">
        <span class="name">{item.name}</span>
        <span class="meta">{formatBytes(item.size)}</span>
        <span class="upload-status">
          {STATUS_TEXT[item.status]}
          {item.status === 'uploading' ? ` ${percent}%` : ''}
        </span>
        {active ? (
          <button type="button" class="small" onClick={props.onCancel} aria-label={`Cancel upload of ${item.name}`}>
            Cancel
          </button>
        ) : null}
      </div>
      <progress max={100} value={percent} aria-label={`Upload of ${item.name}`} />
      {item.error ? (
        <p class="error upload-error" role="alert">
          {item.error}
        </p>
      ) : null}
    </li>
  );
}

export function Uploader(props: {
  items: UploadItem[];
  onFiles(files: File[]): void;
  onCancel(id: number): void;
  onClear(): void;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const finished = props.items.some((item) => item.status !== 'waiting' && item.status !== 'uploading');
  const take = (list: FileList | null | undefined) => {
    const files = list ? Array.from(list) : [];
    if (files.length > 0) props.onFiles(files);
  };
  return (
    <section class="uploader" aria-labelledby="upload-title">
      <h2 id="upload-title" class="visually-hidden">
        Upload
      </h2>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: dropping adds to the picker below, which is the keyboard's way in. */}
      <div
        class={`dropzone${over ? ' over' : ''}`}
        data-testid="dropzone"
        onDragEnter={(event) => {
          event.preventDefault();
          setOver(true);
        }}
        onDragOver={(event) => {
          event.preventDefault();
          if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
        }}
        onDragLeave={(event) => {
          if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setOver(false);
        }}
        onDrop={(event) => {
          event.preventDefault();
          setOver(false);
          take(event.dataTransfer?.files);
        }}
      >
        <p>Drop files here, or</p>
        <input
          ref={input}
          id="file-picker"
          class="visually-hidden"
          type="file"
          multiple
          onChange={(event) => {
            take(event.currentTarget.files);
            event.currentTarget.value = '';
          }}
        />
        <label for="file-picker" class="button primary">
          Choose files
        </label>
      </div>
      {props.items.length > 0 ? (
        <div class="uploads">
          <ul aria-label="Uploads">
            {props.items.map((item) => (
              <UploadRow key={item.id} item={item} onCancel={() => props.onCancel(item.id)} />
            ))}
          </ul>
          {finished ? (
            <button type="button" class="link" onClick={props.onClear}>
              Clear finished
            </button>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
