/**
 * `@nines/constructs`: everything that needs no Pulumi, the same exports as
 * `@nines/constructs/k8s` (kept so code written against the package root keeps working; new
 * code imports `/k8s` or `/aws`). The Pulumi components are in `@nines/constructs/aws` only:
 * importing the root never loads the Pulumi SDK.
 *
 * @packageDocumentation
 */
export * from './k8s';
