-- The company by domain (the website's, else the address's unless free mail),
-- only where it can matter: a person without a company yet, or at a stand-in
-- company, from a source that names the company or gives its website (emails
-- of known people skip the rule).
update staged set domain = leadgraph_rules.company_domain_from(website, lead_email)
where lead_company_id is null or (lead_at_stand_in and (company_name is not null or website is not null))
