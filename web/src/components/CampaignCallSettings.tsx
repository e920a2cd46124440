// Editing a campaign's call settings (updateCampaign): calls on or off, how
// long after the last email, the call hours and days in the campaign's time
// zone, and the VAPI assistant and phone number. The API checks the values
// (hours, days, a time zone PostgreSQL knows) and says what is wrong.
import { Button, Chip, Group, Modal, NumberInput, Stack, Switch, Text, TextInput } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { IconPencil } from "@tabler/icons-react";
import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { errorText } from "../client.ts";
import { graphql } from "../graphql.ts";

const UpdateCallSettingsMutation = graphql(`
  mutation UpdateCallSettings($rowId: UUID!, $patch: CampaignPatch!) {
    updateCampaign(input: { rowId: $rowId, patch: $patch }) {
      campaign {
        rowId
        usesCalls
        timezone
        callAfter {
          years
          months
          days
          hours
          minutes
          seconds
        }
        callHoursStart
        callHoursEnd
        callDays
        vapiAssistantId
        vapiPhoneNumberId
      }
    }
  }
`);

export interface CallSettings {
  rowId: string;
  usesCalls: boolean;
  timezone: string;
  callAfter: { years?: number | null; months?: number | null; days?: number | null; hours?: number | null; minutes?: number | null };
  callHoursStart: string;
  callHoursEnd: string;
  callDays: readonly (number | null)[];
  vapiAssistantId: string | null;
  vapiPhoneNumberId: string | null;
}

const DAYS = [
  { value: "1", label: "Mon" },
  { value: "2", label: "Tue" },
  { value: "3", label: "Wed" },
  { value: "4", label: "Thu" },
  { value: "5", label: "Fri" },
  { value: "6", label: "Sat" },
  { value: "7", label: "Sun" },
];

export function CampaignCallSettingsButton({ settings, onSaved }: { settings: CallSettings; onSaved: () => void }) {
  const [opened, { open, close }] = useDisclosure(false);
  return (
    <>
      <Button variant="subtle" size="compact-sm" leftSection={<IconPencil size={14} aria-hidden />} onClick={open}>
        Edit call settings
      </Button>
      <Modal opened={opened} onClose={close} title="Call settings" size="lg">
        {opened && (
          <SettingsForm
            settings={settings}
            onSaved={() => {
              close();
              onSaved();
            }}
          />
        )}
      </Modal>
    </>
  );
}

function SettingsForm({ settings, onSaved }: { settings: CallSettings; onSaved: () => void }) {
  const after = settings.callAfter;
  const [usesCalls, setUsesCalls] = useState(settings.usesCalls);
  // Months and years are rare for a follow-up delay: they count as 30 and 365 days here.
  const [days, setDays] = useState<number | string>((after.days ?? 0) + (after.months ?? 0) * 30 + (after.years ?? 0) * 365);
  const [hours, setHours] = useState<number | string>(after.hours ?? 0);
  const [start, setStart] = useState(settings.callHoursStart.slice(0, 5));
  const [end, setEnd] = useState(settings.callHoursEnd.slice(0, 5));
  const [callDays, setCallDays] = useState(settings.callDays.filter((d) => d != null).map(String));
  const [timezone, setTimezone] = useState(settings.timezone);
  const [assistant, setAssistant] = useState(settings.vapiAssistantId ?? "");
  const [phone, setPhone] = useState(settings.vapiPhoneNumberId ?? "");
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, update] = useMutation(UpdateCallSettingsMutation);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const result = await update({
      rowId: settings.rowId,
      patch: {
        usesCalls,
        callAfter: { days: Number(days) || 0, hours: Number(hours) || 0, minutes: after.minutes ?? 0 },
        callHoursStart: start,
        callHoursEnd: end,
        callDays: callDays.map(Number).sort(),
        timezone: timezone.trim(),
        vapiAssistantId: assistant.trim() || null,
        vapiPhoneNumberId: phone.trim() || null,
      },
    });
    if (result.error) {
      setError(errorText(result.error) ?? "The settings were not saved.");
      return;
    }
    notifications.show({ color: "green", message: "Call settings saved." });
    onSaved();
  };

  return (
    <Stack component="form" gap="sm" onSubmit={(event: FormEvent) => void submit(event)} aria-label="Call settings">
      <Switch label="The campaign makes calls" checked={usesCalls} onChange={(event) => setUsesCalls(event.currentTarget.checked)} />
      <Group gap="xs" align="flex-end">
        <NumberInput label="Call after (days)" min={0} max={365} value={days} onChange={setDays} w={150} />
        <NumberInput label="and hours" min={0} max={23} value={hours} onChange={setHours} w={110} />
        <Text size="sm" c="dimmed" pb={8}>
          after the last email, without a reply
        </Text>
      </Group>
      <Group gap="xs" align="flex-end">
        <TextInput label="Call hours from" type="time" value={start} onChange={(event) => setStart(event.currentTarget.value)} w={140} />
        <TextInput label="until" type="time" value={end} onChange={(event) => setEnd(event.currentTarget.value)} w={140} />
        <TextInput
          label="Time zone"
          description="IANA name: Europe/Berlin, America/New_York, UTC"
          value={timezone}
          onChange={(event) => setTimezone(event.currentTarget.value)}
          w={240}
        />
      </Group>
      <div>
        <Text size="sm" fw={500} mb={4} id="call-days-label">
          Call days
        </Text>
        <Chip.Group multiple value={callDays} onChange={setCallDays}>
          <Group gap={4} role="group" aria-labelledby="call-days-label">
            {DAYS.map((day) => (
              <Chip key={day.value} value={day.value} size="xs">
                {day.label}
              </Chip>
            ))}
          </Group>
        </Chip.Group>
      </div>
      <TextInput
        label="VAPI assistant id"
        description="The assistant that makes the calls (its id in VAPI's dashboard)"
        value={assistant}
        onChange={(event) => setAssistant(event.currentTarget.value)}
      />
      <TextInput
        label="VAPI phone number id"
        description="The phone number the calls come from (its id in VAPI, not the number)"
        value={phone}
        onChange={(event) => setPhone(event.currentTarget.value)}
      />
      {error && (
        <Text size="sm" c="red" role="alert">
          {error}
        </Text>
      )}
      <Group justify="flex-end">
        <Button type="submit" loading={fetching}>
          Save
        </Button>
      </Group>
    </Stack>
  );
}
