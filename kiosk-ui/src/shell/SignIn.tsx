import { useState } from 'preact/hooks';
import type { Role, SignInResponse } from '../../../terminal/http/wire-types.js';
import { ApiFailure, api, setToken } from './api.js';
import { type Catalogue, type Locale, translator } from './i18n.js';

export const signInMessages: Catalogue<'title' | 'user' | 'pin' | 'submit' | 'wrong' | 'throttled' | 'role'> =
  {
    'zh-CN': {
      title: '请登录',
      user: '工号',
      pin: '密码/PIN',
      submit: '登录',
      wrong: '工号或密码错误',
      throttled: '尝试次数过多，请稍后再试',
      role: '需要{role}权限',
    },
    en: {
      title: 'Sign in',
      user: 'User',
      pin: 'PIN or password',
      submit: 'Sign in',
      wrong: 'Wrong user or PIN',
      throttled: 'Too many attempts; try again later',
      role: 'Needs the {role} role',
    },
  };

/** Role names inside sentences ("需要收银员权限"): never the English id in Chinese text. */
export const roleNames: Catalogue<Role> = {
  'zh-CN': { kiosk: '自助终端', cashier: '收银员', manager: '经理' },
  en: { kiosk: 'kiosk', cashier: 'cashier', manager: 'manager' },
};

/**
 * PIN sign-in shared by the checkout and manager pages. Stores the session token (used by `api()`
 * and `connectWs()`) and reports the signed-in role; refuses a role below `need`.
 */
export function SignIn(props: { locale: Locale; need: Role; onSignedIn: (session: SignInResponse) => void }) {
  const t = translator(signInMessages, props.locale);
  const [user, setUser] = useState('');
  const [pin, setPin] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const rank = (r: Role) => ['kiosk', 'cashier', 'manager'].indexOf(r);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      const session = await api<SignInResponse>('/api/v1/auth/sign-in', { body: { user, pin } });
      if (rank(session.role) < rank(props.need)) {
        setError(t('role', { role: roleNames[props.locale][props.need] }));
        return;
      }
      setToken(session.token);
      props.onSignedIn(session);
    } catch (e) {
      setError(
        e instanceof ApiFailure && (e.status === 429 || e.code === 'rate_limited')
          ? t('throttled')
          : t('wrong'),
      );
    } finally {
      setBusy(false);
      setPin('');
    }
  };
  return (
    <form class="sign-in" onSubmit={submit}>
      <h1>{t('title')}</h1>
      <label>
        {t('user')}
        <input
          name="user"
          autocomplete="username"
          value={user}
          onInput={(e) => setUser(e.currentTarget.value)}
          required
        />
      </label>
      <label>
        {t('pin')}
        <input
          name="pin"
          type="password"
          inputMode="numeric"
          autocomplete="current-password"
          value={pin}
          onInput={(e) => setPin(e.currentTarget.value)}
          required
        />
      </label>
      <button type="submit" disabled={busy}>
        {t('submit')}
      </button>
      <p class="sign-in-error" role="alert">
        {error}
      </p>
    </form>
  );
}
