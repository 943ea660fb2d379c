import { SELLS } from "./permission-sets";
import type { PresetInput } from "./preset-schema";

export const professionalServices: PresetInput = {
  id: "professional-services",
  name: "Professional services",
  description: "Agencies, consultancies, law and accounting firms: clients, engagements and proposals.",
  roles: [
    {
      name: "Partner",
      description: "Owns client relationships and sees who works on them, and how access is set up.",
      permissions: [...SELLS, "iam.members.read", "iam.roles.read", "iam.audit.read"],
    },
    {
      name: "Consultant",
      description: "Works on client engagements and sees the prospects and deals behind them.",
      permissions: ["crm.contacts.read", "crm.contacts.write", "crm.leads.read", "crm.opportunities.read"],
    },
    {
      name: "Integrations",
      description: "Connects the firm's other tools through API keys and OAuth clients.",
      permissions: [
        "iam.api_keys.read",
        "iam.api_keys.write",
        "iam.oauth_clients.read",
        "iam.oauth_clients.write",
      ],
    },
  ],
  pipeline: [
    { id: "discovery", name: "Discovery", probability: 10 },
    { id: "proposal", name: "Proposal", probability: 35 },
    { id: "negotiation", name: "Negotiation", probability: 65 },
    { id: "contract-sent", name: "Contract sent", probability: 85 },
    { id: "won", name: "Won", probability: 100, terminal: "won" },
    { id: "lost", name: "Lost", probability: 0, terminal: "lost" },
  ],
  customFields: {
    contact: [
      { key: "engagement_partner", label: "Engagement partner", type: "text", required: false },
      {
        key: "client_status",
        label: "Client status",
        type: "enum",
        required: true,
        options: ["prospect", "active", "former"],
      },
    ],
    lead: [
      { key: "budget", label: "Budget", type: "number", required: false },
      {
        key: "service_line",
        label: "Service line",
        type: "enum",
        required: true,
        options: ["advisory", "audit", "legal", "tax", "implementation"],
      },
      { key: "decision_date", label: "Decision date", type: "date", required: false },
    ],
  },
  regions: {
    eu: { defaultCurrency: "EUR", paymentProviders: ["stripe"] },
    lagos: { defaultCurrency: "NGN", paymentProviders: ["paystack", "flutterwave"] },
  },
  webhookEventTypes: [
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "invoice.sent",
    "invoice.paid",
  ],
  realtimeRooms: ["engagements"],
  rateLimitTier: "professional",
};
