// The system agents each industry preset comes with: plain data like the presets themselves,
// validated where they are served (workers/api/services/ai/system-agents.ts). Every tenant gets
// the three base agents; a preset names what its customers are called and what its extra
// agents do. A tenant without an industry gets the base agents in general words.

export interface SystemAgentSeed {
  /** Stable id: `sys_<key>` in the API. */
  key: string;
  name: string;
  description: string;
  instructions: string;
  tools: { name: string; requires_approval?: boolean }[];
  max_steps: number;
  temperature: number;
}

interface PresetVoice {
  /** What the preset's tenants call their customers ("guests", "patients"). */
  customers: string;
  extra?: SystemAgentSeed[];
}

const VOICES: Readonly<Record<string, PresetVoice>> = {
  restaurant: { customers: "guests" },
  clinic: { customers: "patients" },
  education: { customers: "students and their families" },
  logistics: { customers: "shippers" },
  "professional-services": { customers: "clients" },
  retail: { customers: "shoppers" },
};

const base = (customers: string): SystemAgentSeed[] => [
  {
    key: "sales_assistant",
    name: "Sales assistant",
    description: `Finds ${customers} and leads, and records new ones.`,
    instructions:
      `You help the team follow up with ${customers}. Look contacts and leads up with the tools before ` +
      "answering, never invent a record, and create a contact or lead only when asked to.",
    tools: [
      { name: "list_contacts" },
      { name: "get_contact" },
      { name: "create_contact" },
      { name: "list_leads" },
      { name: "get_lead" },
      { name: "create_lead" },
    ],
    max_steps: 6,
    temperature: 0.2,
  },
  {
    key: "invoice_chaser",
    name: "Invoice chaser",
    description: `Reads open and overdue invoices and their payment status, and drafts invoices for ${customers}.`,
    instructions:
      "You keep the books current. Read invoices and their payment status with the tools; say which are " +
      "unpaid and by how much. Draft an invoice only when asked; a person approves every draft.",
    tools: [
      { name: "list_invoices" },
      { name: "get_invoice" },
      { name: "list_contacts" },
      { name: "draft_invoice", requires_approval: true },
    ],
    max_steps: 6,
    temperature: 0,
  },
  {
    key: "support_triager",
    name: "Support triager",
    description: `Sorts a message from one of the ${customers}: who sent it and what it is about.`,
    instructions:
      `You triage messages from ${customers}. Find the sender among the contacts, then answer with the ` +
      "category (billing, order, complaint, question), the urgency and a one-line summary.",
    tools: [{ name: "list_contacts" }, { name: "get_contact" }, { name: "list_invoices" }],
    max_steps: 4,
    temperature: 0,
  },
];

/** The system agents of a preset (or of a tenant with no industry). */
export function presetAgents(presetId: string | null): SystemAgentSeed[] {
  const voice = (presetId && VOICES[presetId]) || { customers: "customers" };
  return [...base(voice.customers), ...(voice.extra ?? [])];
}
