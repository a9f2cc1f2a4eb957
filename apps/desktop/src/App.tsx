// The app's shell: sign-in until someone is signed in, then a sidebar of the desk's pages
// (chat, reminders, memory, documents, notifications, settings). The quick-chat window opens
// the same bundle at `#/quick`.

import type { User } from '@posey/sdk';
import { useCallback, useEffect, useState } from 'react';

import { currentUser, message, onNotification, onSessionChanged, openMain } from './bridge';
import { Chat } from './pages/Chat';
import { Documents } from './pages/Documents';
import { Memory } from './pages/Memory';
import { Notifications } from './pages/Notifications';
import { Quick } from './pages/Quick';
import { Reminders } from './pages/Reminders';
import { Settings } from './pages/Settings';
import { SignIn } from './pages/SignIn';
import { ErrorText } from './ui';

const PAGES = [
  { id: 'chat', label: 'Chat' },
  { id: 'reminders', label: 'Reminders' },
  { id: 'memory', label: 'Memory' },
  { id: 'documents', label: 'Documents' },
  { id: 'notifications', label: 'Notifications' },
  { id: 'settings', label: 'Settings' },
] as const;

type PageId = (typeof PAGES)[number]['id'] | 'quick';

/** The page the address names (`#/documents/<id>/<chunk>`: a citation's document). */
function route(): PageId {
  const id = window.location.hash.replace(/^#\/?/, '').split('/')[0];
  return id === 'quick' || PAGES.some((p) => p.id === id) ? (id as PageId) : 'chat';
}

/** What the address names on its page: `#/documents/<id>` a citation's document, `#/chat/<id>` a conversation. */
function routed(on: PageId): string | null {
  const [page, id] = window.location.hash.replace(/^#\/?/, '').split('/');
  return page === on && id ? decodeURIComponent(id) : null;
}

export function App() {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [page, setPage] = useState<PageId>(route);
  const [cited, setCited] = useState<string | null>(() => routed('documents'));
  const [conversation, setConversation] = useState<string | null>(() => routed('chat'));
  const [unread, setUnread] = useState(0);
  const [toast, setToast] = useState<string | null>(null);

  useEffect(() => {
    currentUser()
      .then(setUser)
      .catch((e: unknown) => {
        setError(message(e));
        setUser(null);
      });
    const stopSession = onSessionChanged((change) => {
      if (change.user) setUser(change.user);
      if (change.error) setError(change.error.message);
    });
    const stopNotifications = onNotification((n) => {
      setUnread((u) => u + 1);
      setToast(n.title);
    });
    const onHash = () => {
      setPage(route());
      setCited(routed('documents'));
      setConversation(routed('chat'));
    };
    window.addEventListener('hashchange', onHash);
    return () => {
      stopSession();
      stopNotifications();
      window.removeEventListener('hashchange', onHash);
    };
  }, []);

  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setToast(null), 6000);
    return () => clearTimeout(timer);
  }, [toast]);

  const signedOut = useCallback((problem: string | null) => {
    setError(problem);
    setUser(null);
  }, []);

  if (user === undefined) return <div className="grid h-screen place-items-center"><span className="loading loading-dots" /></div>;

  if (page === 'quick') {
    if (!user) {
      return (
        <div className="grid h-screen place-items-center p-6 text-center">
          <div className="flex flex-col gap-3">
            <p>Sign in to Posey first.</p>
            <button className="btn btn-primary" onClick={() => void openMain()}>Open Posey</button>
          </div>
        </div>
      );
    }
    return <Quick />;
  }

  if (!user) {
    return <SignIn error={error} onSignedIn={(u) => { setError(null); setUser(u); }} />;
  }

  return (
    <div className="flex h-screen">
      <nav className="flex w-52 shrink-0 flex-col gap-1 bg-base-100 p-3 shadow-sm">
        <div className="px-3 py-2 text-lg font-bold">Posey</div>
        <ul className="menu w-full gap-1 p-0">
          {PAGES.map((p) => (
            <li key={p.id}>
              <a
                href={`#/${p.id}`}
                className={page === p.id ? 'menu-active' : undefined}
                onClick={() => { if (p.id === 'notifications') setUnread(0); }}
              >
                {p.label}
                {p.id === 'notifications' && unread > 0 && <span className="badge badge-sm badge-primary">{unread}</span>}
              </a>
            </li>
          ))}
        </ul>
        <div className="mt-auto truncate px-3 text-xs text-base-content/60" title={user.email}>{user.email}</div>
      </nav>
      <main className="min-w-0 flex-1">
        <ErrorText error={error} />
        {page === 'chat' && <Chat key={conversation ?? ''} initial={conversation} />}
        {page === 'reminders' && <Reminders />}
        {page === 'memory' && <Memory />}
        {page === 'documents' && <Documents cited={cited} />}
        {page === 'notifications' && <Notifications />}
        {page === 'settings' && <Settings user={user} onSignedOut={signedOut} />}
      </main>
      {toast && (
        <div className="toast toast-end">
          <div className="alert alert-info" data-testid="toast">{toast}</div>
        </div>
      )}
    </div>
  );
}
