import {
  ActionIcon,
  AppShell,
  Burger,
  Button,
  Center,
  Group,
  Loader,
  NavLink,
  SegmentedControl,
  Text,
  Title,
  Tooltip,
  useMantineColorScheme,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { ApiError, api, type Session, setCsrf, setUnauthorizedHandler, takeLoginCode } from './api';
import { navigate, useRoute } from './lib/router';
import { Approvals } from './pages/Approvals';
import { Grants } from './pages/Grants';
import { Login } from './pages/Login';
import { PolicyBuilder } from './pages/PolicyBuilder';
import { Servers } from './pages/Servers';

// Read once, before the first render: the code works once, so it must not be posted twice (React
// runs effects twice in development).
let loginCode = takeLoginCode();
function consumeLoginCode(): string | undefined {
  const code = loginCode;
  loginCode = undefined;
  return code;
}

// The charts library is the largest part of the bundle: load it with the Activity page only.
const Activity = lazy(() => import('./pages/Activity').then((m) => ({ default: m.Activity })));

const PAGES = [
  { path: '/servers', label: 'Servers & tools' },
  { path: '/policies', label: 'Policies' },
  { path: '/grants', label: 'Grants' },
  { path: '/approvals', label: 'Approvals' },
  { path: '/activity', label: 'Activity' },
];

function ThemeToggle() {
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  return (
    <SegmentedControl
      size="xs"
      aria-label="Colour scheme"
      value={colorScheme}
      onChange={(v) => setColorScheme(v as 'light' | 'dark' | 'auto')}
      data={[
        { value: 'light', label: 'Light' },
        { value: 'dark', label: 'Dark' },
        { value: 'auto', label: 'System' },
      ]}
    />
  );
}

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [linkProblem, setLinkProblem] = useState<string | null>(null);
  const [opened, { toggle, close }] = useDisclosure();
  const route = useRoute();

  const refresh = useCallback(async () => {
    try {
      const s = await api.session();
      setCsrf(s.csrf ?? '');
      setSession(s);
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => setSession((s) => (s ? { ...s, authenticated: false } : s)));
    // Opened from the login link `toolgate serve` printed: trade its one-time code for a session.
    const code = consumeLoginCode();
    const signIn = code
      ? api
          .loginWithCode(code)
          .catch((err: unknown) =>
            setLinkProblem(
              err instanceof ApiError && err.status === 401
                ? 'This login link was used already or has expired. Sign in with the admin token: run toolgate admin token to see it.'
                : (err as Error).message,
            ),
          )
      : Promise.resolve();
    void signIn.then(refresh);
  }, [refresh]);

  if (error && !session)
    return (
      <Center h="100vh" p="md">
        <div>
          <Title order={3}>The gateway did not answer</Title>
          <Text c="dimmed" mt="xs">
            {error}
          </Text>
          <Button mt="md" onClick={() => void refresh()}>
            Try again
          </Button>
        </div>
      </Center>
    );
  if (!session)
    return (
      <Center h="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  if (session.authRequired && !session.authenticated)
    return <Login onLoggedIn={refresh} notice={linkProblem} />;

  const top = `/${route.parts[0] ?? 'servers'}`;
  let page: React.ReactNode;
  switch (top) {
    case '/policies':
      page = <PolicyBuilder server={route.parts[1]} />;
      break;
    case '/grants':
      page = <Grants />;
      break;
    case '/approvals':
      page = <Approvals />;
      break;
    case '/activity':
      page = <Activity />;
      break;
    default:
      page = <Servers />;
  }

  return (
    <>
      {/* The first tab stop: past the header and the navigation to the page's own controls. */}
      <a href="#main" className="tg-skip-link">
        Skip to main content
      </a>
      <AppShell
        header={{ height: 56 }}
        navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
        padding="md"
      >
        <AppShell.Header>
          <Group h="100%" px="md" justify="space-between">
            <Group gap="xs">
              <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
              <Title order={4}>toolgate</Title>
            </Group>
            <Group gap="sm">
              <ThemeToggle />
              {session.authRequired && (
                <Tooltip label="End this dashboard session">
                  <ActionIcon
                    variant="default"
                    w="auto"
                    px="xs"
                    aria-label="Log out"
                    onClick={() => void api.logout().finally(refresh)}
                  >
                    Log out
                  </ActionIcon>
                </Tooltip>
              )}
            </Group>
          </Group>
        </AppShell.Header>
        <AppShell.Navbar p="xs" component="nav" aria-label="Pages">
          {PAGES.map((p) => (
            <NavLink
              key={p.path}
              href={p.path}
              label={p.label}
              active={top === p.path}
              aria-current={top === p.path ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault();
                navigate(p.path);
                close();
              }}
            />
          ))}
        </AppShell.Navbar>
        <AppShell.Main id="main" tabIndex={-1} className="tg-main">
          <Suspense fallback={<Loader aria-label="Loading" />}>{page}</Suspense>
        </AppShell.Main>
      </AppShell>
    </>
  );
}
