/**
 * The page: the header (views, connection state, token), the token prompt when ACLs are on,
 * and the current view. One live connection per token: the event stream feeds the model; each
 * (re)open reloads the snapshot, so a server restart is ridden through.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api, ApiError } from './api.js';
import { openEventStream, type StreamState } from './event-stream.js';
import { RegistryModel } from './model.js';
import { navigate, type Route, useRoute } from './router.js';
import { TokenStore } from './token-store.js';
import { EventsView } from './views/events-view.js';
import { RegistryView } from './views/registry-view.js';
import { ServiceView } from './views/service-view.js';
import { ServicesView } from './views/services-view.js';
import { TokenPrompt } from './views/token-prompt.js';
import type { AgentCheck, AgentService, TokenSelf } from './wire.js';

/** What the server says about ACLs and the token. */
type AclInfo =
  | { readonly kind: 'unknown' }
  | { readonly kind: 'off' }
  | { readonly kind: 'on'; readonly who: string; readonly anonymous: boolean }
  | { readonly kind: 'bad-token'; readonly message: string };

const ANONYMOUS_ACCESSOR = '00000000-0000-0000-0000-000000000002';

async function probeAcl(api: Api): Promise<AclInfo> {
  try {
    const self = (await api.get<TokenSelf>('/v1/acl/token/self')).body;
    const anonymous = self.AccessorID === ANONYMOUS_ACCESSOR;
    return { kind: 'on', who: anonymous ? 'anonymous' : self.Description || self.AccessorID, anonymous };
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return { kind: 'off' };
    if (e instanceof ApiError) return { kind: 'bad-token', message: `${e.status}: ${e.message}` };
    return { kind: 'unknown' };
  }
}

/** The dashboard. */
export function App() {
  const tokens = useMemo(() => new TokenStore(), []);
  const api = useMemo(() => new Api(tokens), [tokens]);
  const [session, setSession] = useState(0);
  const model = useMemo(() => new RegistryModel(), [session]);
  const [stream, setStream] = useState<{ state: StreamState; detail?: string | undefined }>({ state: 'connecting' });
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [acl, setAcl] = useState<AclInfo>({ kind: 'unknown' });
  const [prompt, setPrompt] = useState<{ error?: string } | undefined>(undefined);
  const route = useRoute();

  useEffect(() => {
    void probeAcl(api).then((info) => {
      setAcl(info);
      if (info.kind === 'bad-token') setPrompt({ error: `The server does not know the stored token (${info.message})` });
      else if (info.kind === 'on' && info.anonymous && !tokens.asked) setPrompt({});
    });
  }, [api, session]);

  useEffect(() => {
    let seq = 0;
    const load = async () => {
      const mine = ++seq;
      model.beginLoad();
      try {
        const [services, checks] = await Promise.all([
          api.get<Record<string, AgentService>>('/v1/agent/services'),
          api.get<Record<string, AgentCheck>>('/v1/agent/checks'),
        ]);
        if (mine !== seq) return;
        model.finishLoad(services.body, checks.body, services.filtered || checks.filtered);
        setLoadError(undefined);
      } catch (e) {
        if (mine !== seq) return;
        model.finishLoad({}, {}, false);
        setLoadError(e instanceof ApiError ? `${e.status}: ${e.message}` : 'could not load the registry');
      }
    };
    model.onNodeCheck = () => void load();
    return openEventStream(api, {
      onOpen: () => void load(),
      onEvent: (e) => model.apply(e),
      onState: (state, detail) => setStream({ state, detail }),
    });
  }, [api, model]);

  const useToken = async (token: string) => {
    tokens.set(token);
    const info = await probeAcl(api);
    if (info.kind === 'bad-token') {
      tokens.set('');
      setPrompt({ error: `Token refused (${info.message})` });
      return;
    }
    setPrompt(undefined);
    setSession((s) => s + 1);
  };

  return (
    <div class="page">
      <header class="top">
        <h1>roster</h1>
        <nav>
          <NavButton route={route} view="services" label="Services" />
          <NavButton route={route} view="events" label="Events" />
          <NavButton route={route} view="registry" label="Registry" />
        </nav>
        <span class={`conn ${stream.state}`} data-state={stream.state}>
          {stream.state === 'live'
            ? 'live'
            : stream.state === 'refused'
              ? `refused: ${stream.detail ?? ''}`
              : stream.state === 'connecting'
                ? 'connecting…'
                : 'reconnecting…'}
        </span>
        <span class="who">
          {acl.kind === 'off'
            ? 'ACLs off'
            : acl.kind === 'on'
              ? acl.anonymous
                ? 'anonymous: what the anonymous policy allows'
                : `token: ${acl.who}`
              : acl.kind === 'bad-token'
                ? 'unknown token'
                : ''}
        </span>
        {acl.kind === 'on' || acl.kind === 'bad-token' ? (
          <button class="token-button" onClick={() => setPrompt({})}>
            Token…
          </button>
        ) : null}
      </header>
      {loadError === undefined ? null : <p class="stream-error load-error">{loadError}</p>}
      <main>
        {route.view === 'services' ? <ServicesView model={model} /> : null}
        {route.view === 'service' ? <ServiceView key={`${session}:${route.name}`} api={api} name={route.name} /> : null}
        {route.view === 'events' ? <EventsView model={model} /> : null}
        {route.view === 'registry' ? <RegistryView key={session} api={api} /> : null}
      </main>
      {prompt === undefined ? null : (
        <TokenPrompt
          error={prompt.error}
          onSubmit={(t) => void useToken(t)}
          onSkip={() => {
            tokens.set('');
            setPrompt(undefined);
            setSession((s) => s + 1);
          }}
        />
      )}
    </div>
  );
}

function NavButton({ route, view, label }: { route: Route; view: 'services' | 'events' | 'registry'; label: string }) {
  const current = route.view === view || (view === 'services' && route.view === 'service');
  return (
    <button
      class={`nav nav-${view} ${current ? 'current' : ''}`}
      aria-current={current ? 'page' : undefined}
      onClick={() => navigate({ view })}
    >
      {label}
    </button>
  );
}
