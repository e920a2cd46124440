--! Previous: sha1:46ab2b6ae915b9b2ad10cc9c1940026232ea45f6
--! Hash: sha1:d37cdc251022d2cbb1719c479983796d60501ebb
--! Message: offers, with the example offer

-- Seed migration 004: offers, what we sell.
-- One offer can be promoted by several campaigns.

create table offers (
  id uuid primary key default gen_random_uuid(),
  offer_name text not null check (btrim(offer_name) <> ''),
  offer_description text,
  offer_type text not null default 'service' check (offer_type in ('service', 'product', 'subscription', 'consulting', 'other')),
  price_min numeric(12, 2) check (price_min >= 0),
  price_max numeric(12, 2) check (price_max >= 0),
  currency text not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
  target_industries text[] not null default '{}',
  target_company_sizes text[] not null default '{}',
  target_job_titles text[] not null default '{}',
  value_proposition text,
  pain_points text[] not null default '{}',
  email_subject_template text,
  email_body_template text,
  call_script_template text,
  is_active boolean not null default true,
  created_by uuid references users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint offers_price_range check (price_min is null or price_max is null or price_min <= price_max)
);
create index offers_created_by_idx on offers (created_by);
create index offers_offer_name_idx on offers (offer_name);
create trigger _100_timestamps before insert or update on offers
  for each row execute function tg__timestamps();
alter table offers enable row level security;

comment on table offers is E'What we sell (services, products): pricing, target audience and messaging. Campaigns promote an offer.';
comment on column offers.offer_name is E'Short name of the offer.';
comment on column offers.offer_description is E'What the offer is.';
comment on column offers.offer_type is E'service, product, subscription, consulting or other.';
comment on column offers.price_min is E'Lowest price, in `currency`.';
comment on column offers.price_max is E'Highest price, in `currency`.';
comment on column offers.currency is E'ISO 4217 currency code of the prices.';
comment on column offers.target_industries is E'Industries the offer is for.';
comment on column offers.target_company_sizes is E'Company sizes the offer is for, e.g. 11-50.';
comment on column offers.target_job_titles is E'Job titles of the people to contact.';
comment on column offers.value_proposition is E'Why a prospect should care.';
comment on column offers.pain_points is E'Problems the offer solves.';
comment on column offers.email_subject_template is E'Default email subject; variables like {{first_name}}, {{company_name}}.';
comment on column offers.email_body_template is E'Default email body; variables like {{first_name}}, {{company_name}}.';
comment on column offers.call_script_template is E'Default call script.';
comment on column offers.is_active is E'Whether the offer is currently sold.';
comment on column offers.created_by is E'The user who created the offer.';
comment on column offers.created_at is E'When the offer was created.';
comment on column offers.updated_at is E'When the offer last changed.';

-- The seed's example offer.
insert into offers (id, offer_name, offer_description, offer_type, price_min, price_max,
                    target_industries, target_company_sizes, value_proposition, pain_points, created_by)
values (
  '00000000-0000-0000-0000-000000000004',
  'AI Automation Services',
  'Custom AI automation solutions for business processes',
  'service', 2000, 10000,
  '{SaaS,"Information Technology & Services","Marketing & Advertising"}',
  '{11-50,51-200}',
  'Automate repetitive work with AI and cut operational costs.',
  '{"manual data entry","slow lead follow-up","repetitive support tickets"}',
  '00000000-0000-0000-0000-000000000001'
)
on conflict do nothing;
