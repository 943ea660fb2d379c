/**
 * The MODEL_DEPLOYMENTS a Worker gets in local development and tests: the stand-in playing an EU
 * data-zone deployment, the Lagos cluster's in-region model gateway, and a global endpoint that
 * no region's residency allows (listed so tests can show it is never chosen). The names are the
 * stand-in's paths, so it records which deployment each prompt reached.
 */
export function standInDeployments(standInUrl: string) {
  const base = (name: string) => `${standInUrl}/${name}/v1`;
  return [
    {
      name: "global-endpoint",
      base_url: base("global-endpoint"),
      processing_region: "global",
      processing_scope: "global",
      storage: "global",
      models: { standard: "standin-global", fast: "standin-global-fast" },
    },
    {
      name: "eu-data-zone",
      base_url: base("eu-data-zone"),
      processing_region: "eu",
      processing_scope: "zone",
      storage: "none",
      models: { standard: "standin-eu", fast: "standin-eu-fast" },
    },
    {
      name: "lagos-gateway",
      base_url: base("lagos-gateway"),
      processing_region: "lagos",
      processing_scope: "in-region",
      storage: "in-region",
      models: { standard: "standin-lagos" },
    },
  ];
}
