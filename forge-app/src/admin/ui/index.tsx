/** The UI Kit resource `admin-ui` (manifest.yml): renders the admin page with the Forge reconciler. */

import { App } from "@accessmap/forge-app/admin/ui/App";
import reactPackage from "@forge/react";

type Reconciler = typeof reactPackage.default;
// CommonJS with `exports.default`: Node's ESM loader hands us `module.exports`, a bundler hands us the reconciler.
const ForgeReconciler = ((reactPackage as unknown as { default?: Reconciler }).default ?? reactPackage) as Reconciler;

ForgeReconciler.render(<App />);
