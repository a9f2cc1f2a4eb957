// The app: the servers a person uses, the active one's session (in the secure store), an
// optional biometric lock, `posey://` links from auth's emails, and the tabs.

import AsyncStorage from '@react-native-async-storage/async-storage';
import { StatusBar } from 'expo-status-bar';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { ActivityIndicator, Linking, Pressable, Text, View } from 'react-native';
import { SafeAreaProvider, SafeAreaView } from 'react-native-safe-area-context';

import { type Connection, connect, signOut } from './lib/connection';
import { type DeepLink, parseDeepLink } from './lib/deepLink';
import { type Server, type ServerList, loadServers, saveServers, withServer, withoutServer } from './lib/servers';
import { loadSettings, saveSettings } from './lib/settings';
import { biometricAvailable, isWeb, platform } from './platform';
import { ChatList, ConversationView } from './screens/Chat';
import { MemoryScreen } from './screens/Memory';
import { Notifications } from './screens/Notifications';
import { Reminders } from './screens/Reminders';
import { ServerForm } from './screens/ServerForm';
import { Settings } from './screens/Settings';
import { IncomingShare } from './screens/Share';
import { SignIn } from './screens/SignIn';
import { Unlock } from './screens/Unlock';
import { ErrorText, colors, message, styles } from './ui';

type Tab = 'chat' | 'reminders' | 'notifications' | 'memory' | 'settings';
const TABS: { tab: Tab; title: string }[] = [
  { tab: 'chat', title: 'Chat' },
  { tab: 'reminders', title: 'Reminders' },
  { tab: 'notifications', title: 'Alerts' },
  { tab: 'memory', title: 'Memory' },
  { tab: 'settings', title: 'Settings' },
];

export default function App() {
  return (
    <SafeAreaProvider>
      <StatusBar style="dark" />
      <SafeAreaView style={styles.screen}>
        <Root />
      </SafeAreaView>
    </SafeAreaProvider>
  );
}

function Root() {
  const [servers, setServers] = useState<ServerList | null>(null);
  const [adding, setAdding] = useState(false);
  // Who is signed in to which server (email null: nobody); undefined below while it is checked.
  const [who, setWho] = useState<{ server: string; email: string | null } | null>(null);
  const [locked, setLocked] = useState(false);
  const [biometric, setBiometric] = useState({ available: false, on: false });
  const [tab, setTab] = useState<Tab>('chat');
  const [chat, setChat] = useState<{ id: string | null; title?: string; draft?: string; key: number } | null>(null);
  const [linkError, setLinkError] = useState<string | null>(null);
  const [unread, setUnread] = useState(0);

  const active = servers?.servers.find((s) => s.id === servers.activeId) ?? null;
  const connection = useMemo<Connection | null>(() => (active ? connect(active, platform) : null), [active]);
  const email = who && active && who.server === active.id ? who.email : undefined;
  const setEmail = useCallback((value: string | null) => active && setWho({ server: active.id, email: value }), [active]);

  useEffect(() => {
    void (async () => {
      const [list, settings, available] = await Promise.all([loadServers(AsyncStorage), loadSettings(AsyncStorage), biometricAvailable()]);
      setBiometric({ available, on: settings.biometricUnlock && available });
      setLocked(settings.biometricUnlock && available);
      setServers(list);
    })();
  }, []);

  // Who is signed in to the active server (null: nobody); follows sign-outs the SDK sees (a
  // refresh auth refused).
  useEffect(() => {
    if (!connection) return;
    const server = connection.server.id;
    let live = true;
    connection.auth
      .getSession()
      .then((s) => live && setWho({ server, email: s?.user.email ?? null }))
      .catch(() => live && setWho({ server, email: null }));
    const stop = connection.auth.onAuthStateChange((_event, session) => setWho({ server, email: session?.user.email ?? null }));
    return () => {
      live = false;
      stop();
    };
  }, [connection]);

  const updateServers = useCallback(async (next: ServerList) => {
    await saveServers(AsyncStorage, next);
    setServers(next);
    setChat(null);
  }, []);

  const openLink = useCallback(
    async (link: DeepLink) => {
      if (!servers) return;
      if (link.kind === 'error') {
        setLinkError(link.message);
        return;
      }
      if (link.kind === 'open') {
        setTab(link.screen);
        if (link.screen === 'chat' && link.id) setChat({ id: link.id, key: Date.now() });
        return;
      }
      const target = servers.servers.find((s) => s.id === link.server) ?? active;
      if (!target) return;
      const conn = target.id === active?.id && connection ? connection : connect(target, platform);
      try {
        if (link.kind === 'session') await conn.auth.sessionFromUrl(link.url);
        else await conn.auth.verifyOtp({ tokenHash: link.tokenHash, type: link.type });
        if (target.id !== active?.id) await updateServers({ ...servers, activeId: target.id });
        setLinkError(null);
      } catch (e) {
        setLinkError(`The link did not sign you in: ${message(e)}`);
      }
    },
    [servers, active, connection, updateServers],
  );

  useEffect(() => {
    if (!servers) return;
    const handle = (url: string | null) => {
      const link = url ? parseDeepLink(url) : null;
      if (link) void openLink(link);
    };
    void Linking.getInitialURL().then(handle);
    const sub = Linking.addEventListener('url', ({ url }) => handle(url));
    return () => sub.remove();
  }, [servers, openLink]);

  if (!servers) return <ActivityIndicator style={{ marginTop: 48 }} />;

  if (adding || !active || !connection) {
    return (
      <ServerForm
        first={servers.servers.length === 0}
        onSave={(s) => {
          setAdding(false);
          void updateServers(withServer(servers, s));
        }}
        {...(servers.servers.length > 0 ? { onCancel: () => setAdding(false) } : {})}
      />
    );
  }

  if (email === undefined) return <ActivityIndicator style={{ marginTop: 48 }} />;

  if (locked && email) {
    return (
      <Unlock
        onUnlocked={() => setLocked(false)}
        onSignOut={() => {
          setLocked(false);
          void signOut(connection).finally(() => setEmail(null));
        }}
      />
    );
  }

  if (!email) {
    return (
      <View style={styles.screen}>
        <ErrorText error={linkError} />
        <SignIn connection={connection} onSignedIn={() => setLinkError(null)} onAddServer={() => setAdding(true)} />
        {servers.servers.length > 1 && (
          <View style={[styles.row, styles.pad]}>
            {servers.servers
              .filter((s) => s.id !== active.id)
              .map((s) => (
                <Pressable key={s.id} accessibilityRole="button" onPress={() => void updateServers({ ...servers, activeId: s.id })}>
                  <Text style={{ color: colors.primary }}>Use {s.name}</Text>
                </Pressable>
              ))}
          </View>
        )}
      </View>
    );
  }

  const body = (() => {
    switch (tab) {
      case 'chat':
        return chat ? (
          <ConversationView
            key={chat.key}
            connection={connection}
            id={chat.id}
            {...(chat.title ? { title: chat.title } : {})}
            {...(chat.draft ? { draft: chat.draft } : {})}
            onBack={() => setChat(null)}
            onCreated={() => undefined}
          />
        ) : (
          <ChatList connection={connection} onOpen={(id, title) => setChat({ id, key: Date.now(), ...(title ? { title } : {}) })} />
        );
      case 'reminders':
        return <Reminders connection={connection} />;
      case 'notifications':
        return <Notifications connection={connection} onUnread={setUnread} />;
      case 'memory':
        return <MemoryScreen connection={connection} />;
      case 'settings':
        return (
          <Settings
            servers={servers}
            email={email}
            biometric={{
              ...biometric,
              set: (on) => {
                setBiometric((b) => ({ ...b, on }));
                void saveSettings(AsyncStorage, { biometricUnlock: on });
              },
            }}
            onSwitch={(s: Server) => void updateServers({ ...servers, activeId: s.id })}
            onAdd={() => setAdding(true)}
            onRemove={(s: Server) => {
              void (async () => {
                if (s.id === active.id) await signOut(connection).catch(() => undefined);
                await updateServers(withoutServer(servers, s.id));
              })();
            }}
            onSignOut={() => void signOut(connection).finally(() => setEmail(null))}
          />
        );
    }
  })();

  return (
    <View style={styles.screen}>
      <View style={{ flex: 1 }}>{body}</View>
      {!isWeb && (
        <IncomingShare
          connection={connection}
          onChat={(draft) => {
            setTab('chat');
            setChat({ id: null, draft, key: Date.now() });
          }}
        />
      )}
      <View accessibilityRole="tablist" style={[styles.row, { gap: 0, borderTopWidth: 1, borderColor: colors.border, backgroundColor: colors.card, paddingVertical: 6 }]}>
        {TABS.map(({ tab: t, title }) => (
          <Pressable
            key={t}
            accessibilityRole="tab"
            accessibilityLabel={t === 'notifications' && unread > 0 ? `${title}, ${unread} unread` : title}
            accessibilityState={{ selected: tab === t }}
            onPress={() => {
              setTab(t);
              if (t === 'chat') setChat(null);
            }}
            style={{ flex: 1, paddingVertical: 8, alignItems: 'center' }}
          >
            <Text numberOfLines={1} style={{ fontSize: 13, color: tab === t ? colors.primary : colors.muted, fontWeight: tab === t ? '600' : '400' }}>
              {title}
              {t === 'notifications' && unread > 0 ? ` ${unread}` : ''}
            </Text>
          </Pressable>
        ))}
      </View>
    </View>
  );
}
