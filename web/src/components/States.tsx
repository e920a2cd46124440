// Loading, error and empty states shared by every page: they say what is
// happening and what to do next.
import { Alert, Anchor, Center, Code, Loader, Stack, Text, Title } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import type { ReactNode } from "react";
import { Link } from "react-router";
import { errorText } from "../client.ts";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <Center py="xl">
      <Stack align="center" gap="xs">
        <Loader size="sm" aria-hidden />
        <Text size="sm" c="dimmed" role="status">
          {label}
        </Text>
      </Stack>
    </Center>
  );
}

export function ErrorNotice({
  error,
  title = "Something went wrong",
}: {
  error: Parameters<typeof errorText>[0] | string;
  title?: string;
}) {
  const message = typeof error === "string" ? error : errorText(error);
  return (
    <Alert color="red" icon={<IconAlertTriangle />} title={title} role="alert" my="md">
      {message}
    </Alert>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <Center py="xl">
      <Stack align="center" gap="xs" maw={520} ta="center">
        <Title order={4}>{title}</Title>
        {children && (
          <Text size="sm" c="dimmed" component="div">
            {children}
          </Text>
        )}
      </Stack>
    </Center>
  );
}

/** What an empty workspace says: where data comes from. */
export function EmptyWorkspaceHint() {
  return (
    <>
      Load a demo workspace with <Code>npx leadgraph demo</Code>,{" "}
      <Anchor component={Link} to="/imports">
        import a CSV
      </Anchor>
      , or{" "}
      <Anchor component={Link} to="/instantly">
        sync Instantly
      </Anchor>
      .
    </>
  );
}

export function PageTitle({ children, right }: { children: ReactNode; right?: ReactNode }) {
  return (
    <Stack gap={0} mb="md">
      <div style={{ display: "flex", justifyContent: "space-between", alignItems: "center", gap: 12, flexWrap: "wrap" }}>
        <Title order={2}>{children}</Title>
        {right}
      </div>
    </Stack>
  );
}
