import { SELLS } from "./permission-sets";
import type { PresetInput } from "./preset-schema";

export const logistics: PresetInput = {
  id: "logistics",
  name: "Logistics",
  description: "Freight forwarders, couriers and fleets: shippers, consignees, quotes and shipments.",
  roles: [
    {
      name: "Dispatcher",
      description: "Plans shipments, keeps shipper and consignee records and quotes new accounts.",
      permissions: [...SELLS, "iam.members.read"],
    },
    {
      name: "Driver",
      description: "Looks up the contacts of the day's deliveries.",
      permissions: ["crm.contacts.read"],
    },
  ],
  pipeline: [
    { id: "rate-request", name: "Rate request", probability: 15 },
    { id: "quoted", name: "Quoted", probability: 40 },
    { id: "trial-shipment", name: "Trial shipment", probability: 70 },
    { id: "contracted", name: "Contracted", probability: 100, terminal: "won" },
    { id: "lost", name: "Lost", probability: 0, terminal: "lost" },
  ],
  customFields: {
    contact: [
      { key: "account_number", label: "Account number", type: "text", required: false },
      {
        key: "party_role",
        label: "Role in shipments",
        type: "enum",
        required: true,
        options: ["shipper", "consignee", "carrier", "broker"],
      },
    ],
    lead: [
      { key: "monthly_volume_kg", label: "Monthly volume (kg)", type: "number", required: false },
      {
        key: "mode",
        label: "Transport mode",
        type: "enum",
        required: true,
        options: ["road", "air", "sea", "rail"],
      },
      { key: "hazardous_goods", label: "Hazardous goods", type: "boolean", required: false },
    ],
  },
  regions: {
    eu: { defaultCurrency: "EUR", paymentProviders: ["stripe"] },
    lagos: { defaultCurrency: "NGN", paymentProviders: ["flutterwave", "paystack"] },
  },
  webhookEventTypes: ["contact.created", "contact.updated", "shipment.created", "shipment.delivered"],
  realtimeRooms: ["dispatch", "fleet"],
  rateLimitTier: "enterprise",
};
