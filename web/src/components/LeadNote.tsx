// "Add a note" on a lead: a manual event, performed by the signed-in user
// (events.performed_by defaults to current_user_id(), migration 000010).
import { Button, Card, Group, Text, Textarea } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { errorText } from "../client.ts";
import { graphql } from "../graphql.ts";

const AddNoteMutation = graphql(`
  mutation AddNote($leadId: UUID!, $noteText: String!) {
    createEvent(input: { event: { leadId: $leadId, eventSource: "manual", eventType: "note_added", noteText: $noteText } }) {
      event {
        rowId
        eventTimestamp
      }
    }
  }
`);

export function LeadNoteComposer({ leadId, onAdded }: { leadId: string; onAdded: () => void }) {
  const [text, setText] = useState("");
  const [{ fetching }, addNote] = useMutation(AddNoteMutation);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    const noteText = text.trim();
    if (!noteText || fetching) return;
    const result = await addNote({ leadId, noteText });
    if (result.error) {
      setError(errorText(result.error) ?? "The note could not be saved.");
      return;
    }
    setError(null);
    setText("");
    onAdded();
    notifications.show({ color: "green", message: "Note added to the timeline." });
  };

  return (
    <Card withBorder component="form" onSubmit={(event: FormEvent) => void submit(event)} aria-label="Add a note">
      <Textarea
        label="Note"
        placeholder="A call summary, a next step, anything the team should know…"
        autosize
        minRows={2}
        maxRows={10}
        value={text}
        onChange={(event) => setText(event.currentTarget.value)}
        onKeyDown={(event) => {
          if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) void submit();
        }}
        error={error}
      />
      <Group justify="space-between" mt="xs" gap="xs">
        <Text size="xs" c="dimmed" visibleFrom="xs">
          Ctrl+Enter adds it.
        </Text>
        <Button type="submit" loading={fetching} disabled={!text.trim()}>
          Add note
        </Button>
      </Group>
    </Card>
  );
}
