/** The option every AWS component of the library takes: the tags of the AWS resources it creates. */
export interface AwsTagsArgs {
  /**
   * Tags added to every AWS resource the component creates (with the component's own
   * `nines.dev/*` tags, which win on a clash).
   * @default {}
   * @see https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The tag naming the EKS cluster a component's AWS resources belong to. */
export const CLUSTER_TAG = 'nines.dev/cluster';
/** The tag naming the platform region a component's AWS resources belong to. */
export const REGION_TAG = 'nines.dev/region';
