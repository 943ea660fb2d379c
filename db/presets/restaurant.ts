import { SELLS } from "./permission-sets";
import type { PresetInput } from "./preset-schema";

export const restaurant: PresetInput = {
  id: "restaurant",
  name: "Restaurant",
  description: "Restaurants, cafés and caterers: guests, reservations, events and catering orders.",
  roles: [
    {
      name: "Floor Manager",
      description: "Runs service: guests, bookings, event enquiries and the team on shift.",
      permissions: [...SELLS, "iam.members.read"],
    },
    {
      name: "Host",
      description: "Greets guests and looks up their bookings and preferences.",
      permissions: ["crm.contacts.read"],
    },
  ],
  pipeline: [
    { id: "enquiry", name: "Event enquiry", probability: 15 },
    { id: "menu-proposed", name: "Menu proposed", probability: 45 },
    { id: "deposit-requested", name: "Deposit requested", probability: 80 },
    { id: "booked", name: "Booked", probability: 100, terminal: "won" },
    { id: "declined", name: "Declined", probability: 0, terminal: "lost" },
  ],
  customFields: {
    contact: [
      { key: "dietary_requirements", label: "Dietary requirements", type: "text", required: false },
      { key: "birthday", label: "Birthday", type: "date", required: false },
      { key: "vip", label: "VIP", type: "boolean", required: false },
    ],
    lead: [
      { key: "event_date", label: "Event date", type: "date", required: true },
      { key: "party_size", label: "Party size", type: "number", required: true },
      {
        key: "event_type",
        label: "Event type",
        type: "enum",
        required: false,
        options: ["private_dining", "catering", "corporate", "wedding"],
      },
    ],
  },
  regions: {
    eu: { defaultCurrency: "EUR", paymentProviders: ["stripe"] },
    lagos: { defaultCurrency: "NGN", paymentProviders: ["paystack"] },
  },
  webhookEventTypes: ["contact.created", "contact.updated", "reservation.created", "reservation.cancelled"],
  realtimeRooms: ["floor", "kitchen"],
  rateLimitTier: "starter",
};
