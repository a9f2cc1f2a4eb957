'use client';
// Web Push on this device: the service worker subscribes with cron's VAPID key and cron stores
// the subscription, so reminders arrive with the tab closed.

import { useEffect, useState } from 'react';

import { api, ApiError } from '@/lib/client/api';

const KEY = 'posey-push-subscription';

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(base64url.length / 4) * 4, '=');
  const raw = atob(base64);
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

export function PushToggle() {
  const [state, setState] = useState<'unknown' | 'unsupported' | 'off' | 'on' | 'busy'>('unknown');
  const [message, setMessage] = useState<string | null>(null);

  useEffect(() => {
    const supported = 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
    // Reading the browser's capabilities can only happen once mounted.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setState(!supported ? 'unsupported' : localStorage.getItem(KEY) ? 'on' : 'off');
  }, []);

  async function enable() {
    setState('busy');
    setMessage(null);
    try {
      const { public_key } = await api<{ public_key: string }>('/cron/v1/push/vapid-public-key');
      if ((await Notification.requestPermission()) !== 'granted') throw new Error('Notifications are blocked for this site in the browser settings.');
      const registration = await navigator.serviceWorker.register('/sw.js');
      await navigator.serviceWorker.ready;
      const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(public_key) });
      const json = subscription.toJSON() as { endpoint: string; keys: { p256dh: string; auth: string } };
      const { id } = await api<{ id: string }>('/cron/v1/push/subscriptions', { body: { endpoint: json.endpoint, keys: json.keys } });
      localStorage.setItem(KEY, id);
      setState('on');
    } catch (e) {
      const text = e instanceof ApiError && e.status === 404 ? 'Web Push is not set up on this Posey (CRON_VAPID_PRIVATE_KEY).' : (e as Error).message;
      setMessage(text);
      setState('off');
    }
  }

  async function disable() {
    setState('busy');
    setMessage(null);
    try {
      const id = localStorage.getItem(KEY);
      if (id) await api(`/cron/v1/push/subscriptions/${id}`, { method: 'DELETE' }).catch(() => undefined);
      const registration = await navigator.serviceWorker.getRegistration('/sw.js');
      await (await registration?.pushManager.getSubscription())?.unsubscribe();
      localStorage.removeItem(KEY);
      setState('off');
    } catch (e) {
      setMessage((e as Error).message);
      setState('on');
    }
  }

  if (state === 'unknown') return null;
  return (
    <div className="flex flex-wrap items-center gap-2 text-sm">
      {state === 'unsupported' ? (
        <span className="opacity-70">This browser cannot receive push notifications.</span>
      ) : state === 'on' ? (
        <button className="btn btn-sm" type="button" onClick={() => void disable()}>
          Stop notifications on this device
        </button>
      ) : (
        <button className="btn btn-sm btn-primary" type="button" disabled={state === 'busy'} onClick={() => void enable()}>
          Notify me on this device
        </button>
      )}
      {message && (
        <span role="alert" className="text-error">
          {message}
        </span>
      )}
    </div>
  );
}
