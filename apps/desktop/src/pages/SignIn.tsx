// Sign-in: a password, or a six-digit code auth emails (its link opens the app at
// `posey://auth-callback`, which the bridge takes in Rust).

import type { User } from '@posey/sdk';
import { type FormEvent, useState } from 'react';

import { message, sendCode, signIn, verifyCode } from '../bridge';
import { ErrorText } from '../ui';

export function SignIn(props: { error: string | null; onSignedIn: (user: User) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [codeSent, setCodeSent] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function run(work: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(false);
    }
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    void run(async () => {
      props.onSignedIn(codeSent ? await verifyCode(email, code) : await signIn(email, password));
    });
  }

  return (
    <div className="grid min-h-screen place-items-center p-6">
      <form onSubmit={submit} className="card w-full max-w-sm bg-base-100 shadow">
        <div className="card-body gap-3">
          <h1 className="card-title text-2xl">Sign in to Posey</h1>
          <ErrorText error={error ?? props.error} />
          <label className="floating-label">
            <span>Email</span>
            <input name="email" type="email" className="input w-full" placeholder="Email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required />
          </label>
          {codeSent ? (
            <label className="floating-label">
              <span>Code from the email</span>
              <input name="code" inputMode="numeric" className="input w-full" placeholder="Code from the email" value={code} onChange={(e) => setCode(e.target.value)} required />
            </label>
          ) : (
            <label className="floating-label">
              <span>Password</span>
              <input name="password" type="password" className="input w-full" placeholder="Password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
            </label>
          )}
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy && <span className="loading loading-spinner loading-sm" />}
            Sign in
          </button>
          {codeSent ? (
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => setCodeSent(false)}>Use my password</button>
          ) : (
            <button
              type="button"
              className="btn btn-ghost btn-sm"
              disabled={busy}
              onClick={() => void run(async () => {
                if (!email.trim()) throw new Error('Type your email address first: the code is sent there.');
                await sendCode(email.trim());
                setCodeSent(true);
              })}
            >
              Email me a code instead
            </button>
          )}
        </div>
      </form>
    </div>
  );
}
