import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, createApi, type FileEntity, type ListQuery, type Pagination } from '../api';
import { storedToken, storeToken } from '../session';
import { transportBySize } from '../uploads/by-size';
import { createUploadQueue, type UploadItem } from '../uploads/queue';
import { multipartTransport } from '../uploads/transport';
import { tusTransport } from '../uploads/tus';
import { Browser } from './Browser';
import { FilePanel } from './FilePanel';
import { Pager } from './Pager';
import { SignIn } from './SignIn';
import { Toolbar } from './Toolbar';
import { Uploader } from './Uploader';

type Access = 'checking' | 'none' | 'read' | 'write';
export type View = 'grid' | 'list';

const PAGE_SIZE = 24;
const API_BASE = '';

export function App() {
  const tokenRef = useRef<string | undefined>(storedToken());
  const api = useMemo(() => createApi(API_BASE, () => tokenRef.current), []);
  const [access, setAccess] = useState<Access>('checking');
  const [signInError, setSignInError] = useState<string>();
  const [query, setQuery] = useState<ListQuery>({
    search: '',
    type: 'all',
    sort: 'createdAt:desc',
    page: 1,
    pageSize: PAGE_SIZE,
  });
  const [view, setView] = useState<View>('grid');
  const [files, setFiles] = useState<FileEntity[]>([]);
  const [pagination, setPagination] = useState<Pagination>();
  const [loading, setLoading] = useState(false);
  const [listError, setListError] = useState<string>();
  const [selected, setSelected] = useState<FileEntity>();
  const [uploads, setUploads] = useState<UploadItem[]>([]);
  const [reloads, setReloads] = useState(0);
  const [announcement, setAnnouncement] = useState('');
  const reload = useCallback(() => setReloads((n) => n + 1), []);
  // Stable, so the search box's pause timer is not restarted by every render (upload progress renders often).
  const change = useCallback(
    (next: Partial<ListQuery>) => setQuery((current) => ({ ...current, page: 1, ...next }) as ListQuery),
    [],
  );

  const checkAccess = useCallback(async () => {
    try {
      const found = await api.access();
      if (found === 'none' && tokenRef.current) {
        setSignInError('The server did not accept this token');
        tokenRef.current = undefined;
        storeToken(undefined);
      }
      setAccess(found);
    } catch (error) {
      setSignInError((error as Error).message);
      setAccess('none');
    }
  }, [api]);

  useEffect(() => {
    void checkAccess();
  }, [checkAccess]);

  const queue = useMemo(
    () =>
      createUploadQueue({
        transport: transportBySize(
          multipartTransport(API_BASE, api.authorization),
          tusTransport(API_BASE, api.authorization),
        ),
        onChange: setUploads,
        onUploaded: (entity) => {
          setAnnouncement(`${entity.name} uploaded`);
          reload();
        },
      }),
    [api, reload],
  );

  useEffect(() => {
    if (access !== 'read' && access !== 'write') return;
    const controller = new AbortController();
    setLoading(true);
    api
      .list(query, controller.signal)
      .then(({ data, pagination: page }) => {
        setFiles(data);
        setPagination(page);
        setListError(undefined);
        setLoading(false);
        const shown = page.total === 0 ? 'No files' : `${page.total} file${page.total === 1 ? '' : 's'}`;
        setAnnouncement(`${shown}, page ${page.page} of ${Math.max(1, page.pageCount)}`);
      })
      .catch((error: Error) => {
        if (error.name === 'AbortError') return;
        setLoading(false);
        if (error instanceof ApiError && error.status === 401) {
          setAccess('none');
          return;
        }
        setListError(error.message);
      });
    return () => controller.abort();
  }, [api, access, query, reloads]);

  const signIn = async (token: string) => {
    tokenRef.current = token;
    storeToken(token);
    setSignInError(undefined);
    setAccess('checking');
    await checkAccess();
  };
  const signOut = () => {
    tokenRef.current = undefined;
    storeToken(undefined);
    setSelected(undefined);
    setAccess('checking');
    void checkAccess();
  };

  if (access === 'checking') {
    return (
      <main class="centered" aria-busy="true">
        <p>Loading…</p>
      </main>
    );
  }
  if (access === 'none') return <SignIn onSignIn={signIn} error={signInError} />;

  const canWrite = access === 'write';

  return (
    <div class="layout">
      <header class="top">
        <h1>Media library</h1>
        <span class="badge" title="What this token may do">
          {canWrite ? 'Full access' : 'Read-only'}
        </span>
        {tokenRef.current ? (
          <button type="button" class="link" onClick={signOut}>
            Sign out
          </button>
        ) : null}
      </header>
      <main id="main">
        {canWrite ? (
          <Uploader
            items={uploads}
            onFiles={(list) => queue.add(list)}
            onCancel={(id) => queue.cancel(id)}
            onClear={() => queue.clearFinished()}
          />
        ) : null}
        <Toolbar query={query} view={view} onChange={change} onView={setView} />
        <p class="visually-hidden" role="status" aria-live="polite">
          {announcement}
        </p>
        {listError ? (
          <p class="error" role="alert">
            {listError}
          </p>
        ) : null}
        <Browser
          files={files}
          view={view}
          loading={loading}
          filtered={query.search.trim() !== '' || query.type !== 'all'}
          onOpen={setSelected}
        />
        {pagination ? <Pager pagination={pagination} onPage={(page) => setQuery((q) => ({ ...q, page }))} /> : null}
      </main>
      {selected ? (
        <FilePanel
          api={api}
          file={selected}
          canWrite={canWrite}
          transport={multipartTransport(API_BASE, api.authorization)}
          onClose={() => setSelected(undefined)}
          onChanged={(entity) => {
            setSelected(entity);
            reload();
          }}
          onDeleted={(entity) => {
            setSelected(undefined);
            setAnnouncement(`${entity.name} deleted`);
            reload();
          }}
        />
      ) : null}
    </div>
  );
}
