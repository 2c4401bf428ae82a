import type { FileEntity } from '../api';
import { dimensions, entityBytes, familyOf, formatBytes, formatDate, thumbnailUrl, typeLabel } from '../format';
import type { View } from './App';

function TypeTile(props: { file: FileEntity }) {
  return (
    <span class={`tile tile-${familyOf(props.file.mime)}`} aria-hidden="true">
      {typeLabel(props.file)}
    </span>
  );
}

function Preview(props: { file: FileEntity }) {
  const thumb = thumbnailUrl(props.file);
  // The card's text names the file: the picture adds nothing for a screen reader.
  return thumb ? <img src={thumb} alt="" loading="lazy" decoding="async" /> : <TypeTile file={props.file} />;
}

export function Browser(props: {
  files: FileEntity[];
  view: View;
  loading: boolean;
  /** A search or type filter is set: an empty answer means "none match", not "none yet". */
  filtered: boolean;
  onOpen(file: FileEntity): void;
}) {
  if (props.files.length === 0) {
    const none = props.filtered ? 'No files match.' : 'No files yet.';
    return <p class="empty">{props.loading ? 'Loading…' : none}</p>;
  }
  if (props.view === 'list') {
    return (
      <div class="table-wrap" aria-busy={props.loading}>
        <table class="files-table">
          <caption class="visually-hidden">Files</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col" class="num">
                Size
              </th>
              <th scope="col">Dimensions</th>
              <th scope="col">Date</th>
            </tr>
          </thead>
          <tbody>
            {props.files.map((file) => (
              <tr key={file.id} data-file-id={file.id}>
                <th scope="row">
                  <button type="button" class="row-open" onClick={() => props.onOpen(file)}>
                    <span class="mini">
                      <Preview file={file} />
                    </span>
                    <span class="name">{file.name}</span>
                  </button>
                </th>
                <td>{file.mime}</td>
                <td class="num">{formatBytes(entityBytes(file))}</td>
                <td>{dimensions(file)}</td>
                <td>
                  <time dateTime={file.createdAt}>{formatDate(file.createdAt)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  }
  return (
    <ul class="grid" aria-label="Files" aria-busy={props.loading}>
      {props.files.map((file) => (
        <li key={file.id} data-file-id={file.id}>
          <button type="button" class="card" onClick={() => props.onOpen(file)}>
            <span class="thumb">
              <Preview file={file} />
            </span>
            <span class="name">{file.name}</span>
            <span class="meta">
              <span class="visually-hidden">{file.mime}, </span>
              {formatBytes(entityBytes(file))}
              {file.width && file.height ? ` · ${dimensions(file)}` : ''}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}
