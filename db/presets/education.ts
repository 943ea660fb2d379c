import { SELLS } from "./permission-sets";
import type { PresetInput } from "./preset-schema";

export const education: PresetInput = {
  id: "education",
  name: "Education",
  description: "Schools, academies and training providers: students, guardians, applications, enrolment.",
  roles: [
    {
      name: "Registrar",
      description: "Handles enquiries, admissions and student records, and sees the staff list.",
      permissions: [...SELLS, "iam.members.read"],
    },
    {
      name: "Teacher",
      description: "Looks up students and their guardians.",
      permissions: ["crm.contacts.read"],
    },
  ],
  pipeline: [
    { id: "inquiry", name: "Inquiry", probability: 10 },
    { id: "application", name: "Application received", probability: 40 },
    { id: "interview", name: "Assessment or interview", probability: 65 },
    { id: "offer", name: "Offer made", probability: 85 },
    { id: "enrolled", name: "Enrolled", probability: 100, terminal: "won" },
    { id: "withdrawn", name: "Withdrawn", probability: 0, terminal: "lost" },
  ],
  customFields: {
    contact: [
      {
        key: "contact_type",
        label: "Contact type",
        type: "enum",
        required: true,
        options: ["student", "guardian", "alumnus"],
      },
      { key: "student_id", label: "Student id", type: "text", required: false },
    ],
    lead: [
      { key: "programme", label: "Programme", type: "text", required: true },
      { key: "intake_date", label: "Intake", type: "date", required: false },
      { key: "scholarship_requested", label: "Scholarship requested", type: "boolean", required: false },
    ],
  },
  regions: {
    eu: { defaultCurrency: "EUR", paymentProviders: ["stripe"] },
    lagos: { defaultCurrency: "NGN", paymentProviders: ["paystack"] },
  },
  webhookEventTypes: ["contact.created", "contact.updated", "application.submitted", "enrolment.confirmed"],
  realtimeRooms: ["admissions"],
  rateLimitTier: "starter",
};
