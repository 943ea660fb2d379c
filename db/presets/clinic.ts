import { SELLS } from "./permission-sets";
import type { PresetInput } from "./preset-schema";

export const clinic: PresetInput = {
  id: "clinic",
  name: "Clinic",
  description:
    "Outpatient clinics and practices: patients as contacts, appointments, treatment plans. Fields hold " +
    "administrative data only; clinical records belong in a dedicated system.",
  roles: [
    {
      name: "Practice Manager",
      description: "Runs the front office and sees who has access and what they did.",
      permissions: ["crm.contacts.read", "crm.contacts.write", "iam.members.read", "iam.audit.read"],
    },
    {
      name: "Receptionist",
      description: "Registers patients, keeps their contact details current and follows up referrals.",
      permissions: [...SELLS],
    },
    {
      name: "Practitioner",
      description: "Looks up the patients they see.",
      permissions: ["crm.contacts.read"],
    },
  ],
  pipeline: [
    { id: "referral", name: "Referral received", probability: 20 },
    { id: "consultation-booked", name: "Consultation booked", probability: 50 },
    { id: "plan-proposed", name: "Treatment plan proposed", probability: 75 },
    { id: "plan-accepted", name: "Plan accepted", probability: 100, terminal: "won" },
    { id: "plan-declined", name: "Plan declined", probability: 0, terminal: "lost" },
  ],
  customFields: {
    contact: [
      { key: "date_of_birth", label: "Date of birth", type: "date", required: true },
      { key: "insurance_provider", label: "Insurance provider", type: "text", required: false },
      {
        key: "preferred_contact",
        label: "Preferred contact",
        type: "enum",
        required: false,
        options: ["phone", "sms", "email"],
      },
    ],
    lead: [
      { key: "referral_source", label: "Referral source", type: "text", required: false },
      { key: "insured", label: "Insured", type: "boolean", required: false },
    ],
  },
  regions: {
    eu: { defaultCurrency: "EUR", paymentProviders: ["stripe"] },
    lagos: { defaultCurrency: "NGN", paymentProviders: ["paystack", "flutterwave"] },
  },
  webhookEventTypes: ["contact.created", "contact.updated", "appointment.booked", "appointment.no_show"],
  realtimeRooms: ["front-desk", "waiting-room"],
  rateLimitTier: "professional",
};
