// The frame of every page: navigation (a drawer on a phone), a search box
// over the timeline, who is signed in.
import { AppShell, Burger, Button, Group, NavLink, Text, TextInput, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconBrandTelegram, IconFileImport, IconPhone, IconRefresh, IconSearch, IconSpeakerphone, IconUsers } from "@tabler/icons-react";
import { useState, type FormEvent } from "react";
import { NavLink as RouterLink, Outlet, useLocation, useNavigate } from "react-router";
import { useViewer } from "./viewer.ts";

const NAV = [
  { to: "/leads", label: "Leads", icon: IconUsers },
  { to: "/campaigns", label: "Campaigns", icon: IconSpeakerphone },
  { to: "/imports", label: "Imports", icon: IconFileImport },
  { to: "/calls", label: "Calls", icon: IconPhone },
  { to: "/instantly", label: "Instantly sync", icon: IconRefresh },
  { to: "/search", label: "Search timeline", icon: IconSearch },
];

export function Layout() {
  const [opened, { toggle, close }] = useDisclosure();
  const viewer = useViewer();
  const location = useLocation();
  const navigate = useNavigate();
  const [search, setSearch] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (search.trim()) void navigate(`/search?q=${encodeURIComponent(search.trim())}`);
  };
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="xs" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <IconBrandTelegram size={22} aria-hidden />
            <Title order={4}>leadgraph</Title>
          </Group>
          <form onSubmit={submit} role="search" style={{ flex: 1, maxWidth: 420 }}>
            <TextInput
              aria-label="Search the timeline"
              placeholder="Search emails, replies, notes…"
              leftSection={<IconSearch size={16} />}
              value={search}
              onChange={(event) => setSearch(event.currentTarget.value)}
              visibleFrom="xs"
            />
          </form>
          <Group gap="xs" wrap="nowrap">
            <Text size="sm" c="dimmed" visibleFrom="md" truncate>
              {viewer.fullName ?? viewer.email}
            </Text>
            {viewer.signedInWithToken && (
              <Button variant="subtle" size="xs" onClick={viewer.signOut}>
                Sign out
              </Button>
            )}
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Main">
        {NAV.map((item) => (
          <NavLink
            key={item.to}
            component={RouterLink}
            to={item.to}
            label={item.label}
            leftSection={<item.icon size={18} aria-hidden />}
            active={location.pathname.startsWith(item.to)}
            onClick={close}
          />
        ))}
        <NavLink href="/graphiql" label="GraphiQL" component="a" target="_blank" rel="noreferrer" mt="auto" c="dimmed" />
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
