import { SELLS } from "./permission-sets";
import type { PresetInput } from "./preset-schema";

export const retail: PresetInput = {
  id: "retail",
  name: "Retail",
  description: "Shops and online stores: walk-in and online customers, wholesale buyers, loyalty.",
  roles: [
    {
      name: "Store Manager",
      description: "Runs the shop floor: customers, and who works in the store.",
      permissions: [...SELLS, "iam.members.read", "iam.roles.read"],
    },
    {
      name: "Sales Associate",
      description: "Serves customers, keeps their records and follows up quotes.",
      permissions: [...SELLS],
    },
  ],
  pipeline: [
    { id: "inquiry", name: "Inquiry", probability: 10 },
    { id: "quote-sent", name: "Quote sent", probability: 40 },
    { id: "negotiation", name: "Negotiation", probability: 70 },
    { id: "won", name: "Won", probability: 100, terminal: "won" },
    { id: "lost", name: "Lost", probability: 0, terminal: "lost" },
  ],
  customFields: {
    contact: [
      { key: "loyalty_number", label: "Loyalty number", type: "text", required: false },
      {
        key: "customer_type",
        label: "Customer type",
        type: "enum",
        required: true,
        options: ["walk_in", "online", "wholesale"],
      },
      { key: "marketing_opt_in", label: "Marketing opt-in", type: "boolean", required: false },
    ],
    lead: [
      { key: "order_value_estimate", label: "Estimated order value", type: "number", required: false },
      {
        key: "channel",
        label: "Channel",
        type: "enum",
        required: false,
        options: ["store", "web", "phone", "marketplace"],
      },
    ],
  },
  regions: {
    eu: { defaultCurrency: "EUR", paymentProviders: ["stripe"] },
    lagos: { defaultCurrency: "NGN", paymentProviders: ["paystack", "flutterwave"] },
  },
  webhookEventTypes: ["contact.created", "contact.updated", "contact.deleted", "order.created", "order.paid"],
  realtimeRooms: ["store-floor", "orders"],
  rateLimitTier: "professional",
};
