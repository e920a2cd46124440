// Production: nothing but this screen until the API accepts a token.
import { Alert, Button, Center, Code, Paper, Stack, Text, Textarea, Title } from "@mantine/core";
import { useState, type FormEvent } from "react";
import { errorText } from "./client.ts";

export function SignIn({ error, onSignIn }: { error?: Parameters<typeof errorText>[0]; onSignIn: (token: string) => void }) {
  const [token, setToken] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (token.trim()) onSignIn(token.trim());
  };
  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={480} component="main">
        <form onSubmit={submit}>
          <Stack>
            <Title order={2}>Sign in to leadgraph</Title>
            <Text size="sm">
              Paste an access token. Whoever runs this leadgraph mints one with <Code>leadgraph token --email you@example.com</Code>.
            </Text>
            {error && (
              <Alert color="red" title="That token was refused" role="alert">
                {errorText(error)}
              </Alert>
            )}
            <Textarea
              label="Access token"
              autosize
              minRows={3}
              value={token}
              onChange={(event) => setToken(event.currentTarget.value)}
              autoFocus
              spellCheck={false}
            />
            <Button type="submit" disabled={!token.trim()}>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
