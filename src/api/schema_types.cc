// The API types mlkube serves, in the schema DSL that schema.cc parses (its grammar is described
// there). Field names, JSON types and patch metadata follow Kubernetes 1.32's Go types and struct
// tags: strict decoding rejects any field missing here, and strategic merge patch, server-side
// apply and kubectl (through /openapi/v3) merge lists by the keys given here, so both must match
// Kubernetes exactly. Rarely used cloud volume sources are `any`: accepted, not checked.
//
// proto=N is the field's number in Kubernetes' generated.proto (k8s.io/api/<group>/<version>
// and k8s.io/apimachinery/pkg/apis/meta/v1), which kubectl's typed clients use for request
// bodies; protobuf numbers never change once released, so later .proto files agree with 1.32's.
// Fields newer than the JSON types here (e.g. Container.restartPolicyRules) have no line.

#include <string_view>

namespace mlkube::api::internal {

std::string_view SchemaSource() {
  static constexpr std::string_view kSource = R"schema(
// ============================================================================================
package meta io.k8s.apimachinery.pkg.apis.meta.v1
// ============================================================================================

// No protobuf numbers: protobuf carries apiVersion and kind outside the object, in the
// runtime.Unknown envelope around it.
type TypeMeta {
  apiVersion string
  kind string
}

type ObjectMeta {
  name string proto=1
  generateName string proto=2
  namespace string proto=3
  selfLink string proto=4
  uid string proto=5
  resourceVersion string proto=6
  generation int64 proto=7
  creationTimestamp Time proto=8
  deletionTimestamp Time proto=9
  deletionGracePeriodSeconds int64 proto=10
  labels map[string]string proto=11
  annotations map[string]string proto=12
  ownerReferences []OwnerReference proto=13 patchStrategy=merge patchMergeKey=uid listType=map listMapKeys=uid
  finalizers []string proto=14 patchStrategy=merge listType=set
  managedFields []ManagedFieldsEntry proto=17 listType=atomic
}

type OwnerReference {
  apiVersion string proto=5 required
  kind string proto=1 required
  name string proto=3 required
  uid string proto=4 required
  controller bool proto=6
  blockOwnerDeletion bool proto=7
}

type ManagedFieldsEntry {
  manager string proto=1
  operation string proto=2
  apiVersion string proto=3
  time Time proto=4
  fieldsType string proto=6
  fieldsV1 any proto=7
  subresource string proto=8
}

type ListMeta {
  selfLink string proto=1
  resourceVersion string proto=2
  continue string proto=3
  remainingItemCount int64 proto=4
}

type LabelSelector {
  matchLabels map[string]string proto=1
  matchExpressions []LabelSelectorRequirement proto=2 listType=atomic
}

type LabelSelectorRequirement {
  key string proto=1 required
  operator string proto=2 required
  values []string proto=3 listType=atomic
}

type Condition {
  type string proto=1 required
  status string proto=2 required
  observedGeneration int64 proto=3
  lastTransitionTime Time proto=4 required
  reason string proto=5 required
  message string proto=6 required
}

type Status {
  TypeMeta
  metadata ListMeta proto=1
  status string proto=2
  message string proto=3
  reason string proto=4
  details StatusDetails proto=5
  code int32 proto=6
}

type StatusDetails {
  name string proto=1
  group string proto=2
  kind string proto=3
  uid string proto=6
  causes []StatusCause proto=4 listType=atomic
  retryAfterSeconds int32 proto=5
}

type StatusCause {
  reason string proto=1
  message string proto=2
  field string proto=3
}

type DeleteOptions {
  TypeMeta
  gracePeriodSeconds int64 proto=1
  preconditions Preconditions proto=2
  orphanDependents bool proto=3
  propagationPolicy string proto=4
  dryRun []string proto=5 listType=atomic
  ignoreStoreReadErrorWithClusterBreakingPotential bool proto=6
}

type Preconditions {
  uid string proto=1
  resourceVersion string proto=2
}

kind "" v1 Status Status
kind "" v1 DeleteOptions DeleteOptions
kind meta.k8s.io v1 DeleteOptions DeleteOptions

// ============================================================================================
package core io.k8s.api.core.v1
// ============================================================================================

type ResourceList map[string]Quantity
type RestartPolicy string
type PullPolicy string
type Protocol string
type DNSPolicy string

type Namespace {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  spec NamespaceSpec proto=2
  status NamespaceStatus proto=3
}

type NamespaceSpec {
  finalizers []string proto=1 listType=atomic
}

type NamespaceStatus {
  phase string proto=1
  conditions []NamespaceCondition proto=2 patchStrategy=merge patchMergeKey=type listType=map listMapKeys=type
}

type NamespaceCondition {
  type string proto=1 required
  status string proto=2 required
  lastTransitionTime Time proto=4
  reason string proto=5
  message string proto=6
}

// ---- Pod -----------------------------------------------------------------------------------

type Pod {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  spec PodSpec proto=2
  status PodStatus proto=3
}

type PodTemplateSpec {
  metadata meta.ObjectMeta proto=1
  spec PodSpec proto=2
}

type PodSpec {
  volumes []Volume proto=1 patchStrategy=merge,retainKeys patchMergeKey=name listType=map listMapKeys=name
  initContainers []Container proto=20 patchStrategy=merge patchMergeKey=name listType=map listMapKeys=name
  containers []Container proto=2 required patchStrategy=merge patchMergeKey=name listType=map listMapKeys=name
  ephemeralContainers []EphemeralContainer proto=34 patchStrategy=merge patchMergeKey=name listType=map listMapKeys=name
  restartPolicy RestartPolicy proto=3
  terminationGracePeriodSeconds int64 proto=4
  activeDeadlineSeconds int64 proto=5
  dnsPolicy DNSPolicy proto=6
  nodeSelector map[string]string proto=7
  serviceAccountName string proto=8
  serviceAccount string proto=9
  automountServiceAccountToken bool proto=21
  nodeName string proto=10
  hostNetwork bool proto=11
  hostPID bool proto=12
  hostIPC bool proto=13
  shareProcessNamespace bool proto=27
  securityContext PodSecurityContext proto=14
  imagePullSecrets []LocalObjectReference proto=15 patchStrategy=merge patchMergeKey=name listType=map listMapKeys=name
  hostname string proto=16
  subdomain string proto=17
  affinity Affinity proto=18
  schedulerName string proto=19
  tolerations []Toleration proto=22 listType=atomic
  hostAliases []HostAlias proto=23 patchStrategy=merge patchMergeKey=ip listType=map listMapKeys=ip
  priorityClassName string proto=24
  priority int32 proto=25
  dnsConfig PodDNSConfig proto=26
  readinessGates []PodReadinessGate proto=28 listType=atomic
  runtimeClassName string proto=29
  enableServiceLinks bool proto=30
  preemptionPolicy string proto=31
  overhead ResourceList proto=32
  topologySpreadConstraints []TopologySpreadConstraint proto=33 patchStrategy=merge patchMergeKey=topologyKey listType=map listMapKeys=topologyKey,whenUnsatisfiable
  setHostnameAsFQDN bool proto=35
  os PodOS proto=36
  hostUsers bool proto=37
  schedulingGates []PodSchedulingGate proto=38 patchStrategy=merge patchMergeKey=name listType=map listMapKeys=name
  resourceClaims []PodResourceClaim proto=39 patchStrategy=merge,retainKeys patchMergeKey=name listType=map listMapKeys=name
  resources ResourceRequirements proto=40
}

type LocalObjectReference {
  name string proto=1
}

type ObjectReference {
  kind string proto=1
  namespace string proto=2
  name string proto=3
  uid string proto=4
  apiVersion string proto=5
  resourceVersion string proto=6
  fieldPath string proto=7
}

type TypedLocalObjectReference {
  apiGroup string proto=1
  kind string proto=2 required
  name string proto=3 required
}

type TypedObjectReference {
  apiGroup string proto=1
  kind string proto=2 required
  name string proto=3 required
  namespace string proto=4
}

type SecretReference {
  name string proto=1
  namespace string proto=2
}

type PodOS {
  name string proto=1 required
}

type PodSchedulingGate {
  name string proto=1 required
}

type PodResourceClaim {
  name string proto=1 required
  resourceClaimName string proto=3
  resourceClaimTemplateName string proto=4
}

type HostAlias {
  ip string proto=1 required
  hostnames []string proto=2 listType=atomic
}

type PodDNSConfig {
  nameservers []string proto=1 listType=atomic
  searches []string proto=2 listType=atomic
  options []PodDNSConfigOption proto=3 listType=atomic
}

type PodDNSConfigOption {
  name string proto=1
  value string proto=2
}

type PodReadinessGate {
  conditionType string proto=1 required
}

type Toleration {
  key string proto=1
  operator string proto=2
  value string proto=3
  effect string proto=4
  tolerationSeconds int64 proto=5
}

type TopologySpreadConstraint {
  maxSkew int32 proto=1 required
  topologyKey string proto=2 required
  whenUnsatisfiable string proto=3 required
  labelSelector meta.LabelSelector proto=4
  minDomains int32 proto=5
  nodeAffinityPolicy string proto=6
  nodeTaintsPolicy string proto=7
  matchLabelKeys []string proto=8 listType=atomic
}

// ---- security --------------------------------------------------------------------------------

type PodSecurityContext {
  seLinuxOptions SELinuxOptions proto=1
  windowsOptions WindowsSecurityContextOptions proto=8
  runAsUser int64 proto=2
  runAsGroup int64 proto=6
  runAsNonRoot bool proto=3
  supplementalGroups []int64 proto=4 listType=atomic
  supplementalGroupsPolicy string proto=12
  fsGroup int64 proto=5
  sysctls []Sysctl proto=7 listType=atomic
  fsGroupChangePolicy string proto=9
  seccompProfile SeccompProfile proto=10
  appArmorProfile AppArmorProfile proto=11
  seLinuxChangePolicy string proto=13
}

type SecurityContext {
  capabilities Capabilities proto=1
  privileged bool proto=2
  seLinuxOptions SELinuxOptions proto=3
  windowsOptions WindowsSecurityContextOptions proto=10
  runAsUser int64 proto=4
  runAsGroup int64 proto=8
  runAsNonRoot bool proto=5
  readOnlyRootFilesystem bool proto=6
  allowPrivilegeEscalation bool proto=7
  procMount string proto=9
  seccompProfile SeccompProfile proto=11
  appArmorProfile AppArmorProfile proto=12
}

type Capabilities {
  add []string proto=1 listType=atomic
  drop []string proto=2 listType=atomic
}

type SELinuxOptions {
  user string proto=1
  role string proto=2
  type string proto=3
  level string proto=4
}

type WindowsSecurityContextOptions {
  gmsaCredentialSpecName string proto=1
  gmsaCredentialSpec string proto=2
  runAsUserName string proto=3
  hostProcess bool proto=4
}

type Sysctl {
  name string proto=1 required
  value string proto=2 required
}

type SeccompProfile {
  type string proto=1 required
  localhostProfile string proto=2
}

type AppArmorProfile {
  type string proto=1 required
  localhostProfile string proto=2
}

// ---- affinity ------------------------------------------------------------------------------

type Affinity {
  nodeAffinity NodeAffinity proto=1
  podAffinity PodAffinity proto=2
  podAntiAffinity PodAntiAffinity proto=3
}

type NodeAffinity {
  requiredDuringSchedulingIgnoredDuringExecution NodeSelector proto=1
  preferredDuringSchedulingIgnoredDuringExecution []PreferredSchedulingTerm proto=2 listType=atomic
}

type NodeSelector {
  nodeSelectorTerms []NodeSelectorTerm proto=1 required listType=atomic
}

type NodeSelectorTerm {
  matchExpressions []NodeSelectorRequirement proto=1 listType=atomic
  matchFields []NodeSelectorRequirement proto=2 listType=atomic
}

type NodeSelectorRequirement {
  key string proto=1 required
  operator string proto=2 required
  values []string proto=3 listType=atomic
}

type PreferredSchedulingTerm {
  weight int32 proto=1 required
  preference NodeSelectorTerm proto=2 required
}

type PodAffinity {
  requiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm proto=1 listType=atomic
  preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm proto=2 listType=atomic
}

type PodAntiAffinity {
  requiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm proto=1 listType=atomic
  preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm proto=2 listType=atomic
}

type PodAffinityTerm {
  labelSelector meta.LabelSelector proto=1
  namespaces []string proto=2 listType=atomic
  topologyKey string proto=3 required
  namespaceSelector meta.LabelSelector proto=4
  matchLabelKeys []string proto=5 listType=atomic
  mismatchLabelKeys []string proto=6 listType=atomic
}

type WeightedPodAffinityTerm {
  weight int32 proto=1 required
  podAffinityTerm PodAffinityTerm proto=2 required
}

// ---- containers ----------------------------------------------------------------------------

type Container {
  name string proto=1 required
  image string proto=2
  command []string proto=3 listType=atomic
  args []string proto=4 listType=atomic
  workingDir string proto=5
  ports []ContainerPort proto=6 patchStrategy=merge patchMergeKey=containerPort listType=map listMapKeys=containerPort,protocol
  envFrom []EnvFromSource proto=19 listType=atomic
  env []EnvVar proto=7 patchStrategy=merge patchMergeKey=name listType=map listMapKeys=name
  resources ResourceRequirements proto=8
  resizePolicy []ContainerResizePolicy proto=23 listType=atomic
  restartPolicy string proto=24
  volumeMounts []VolumeMount proto=9 patchStrategy=merge patchMergeKey=mountPath listType=map listMapKeys=mountPath
  volumeDevices []VolumeDevice proto=21 patchStrategy=merge patchMergeKey=devicePath listType=map listMapKeys=devicePath
  livenessProbe Probe proto=10
  readinessProbe Probe proto=11
  startupProbe Probe proto=22
  lifecycle Lifecycle proto=12
  terminationMessagePath string proto=13
  terminationMessagePolicy string proto=20
  imagePullPolicy PullPolicy proto=14
  securityContext SecurityContext proto=15
  stdin bool proto=16
  stdinOnce bool proto=17
  tty bool proto=18
}

// EphemeralContainerCommon has the fields of Container (the probes and ports are rejected by
// validation, not by decoding).
type EphemeralContainer {
  Container proto=1
  targetContainerName string proto=2
}

type ContainerPort {
  name string proto=1
  hostPort int32 proto=2
  containerPort int32 proto=3 required
  protocol Protocol proto=4
  hostIP string proto=5
}

type EnvVar {
  name string proto=1 required
  value string proto=2
  valueFrom EnvVarSource proto=3
}

type EnvVarSource {
  fieldRef ObjectFieldSelector proto=1
  resourceFieldRef ResourceFieldSelector proto=2
  configMapKeyRef ConfigMapKeySelector proto=3
  secretKeyRef SecretKeySelector proto=4
}

type ObjectFieldSelector {
  apiVersion string proto=1
  fieldPath string proto=2 required
}

type ResourceFieldSelector {
  containerName string proto=1
  resource string proto=2 required
  divisor Quantity proto=3
}

type ConfigMapKeySelector {
  LocalObjectReference proto=1
  key string proto=2 required
  optional bool proto=3
}

type SecretKeySelector {
  LocalObjectReference proto=1
  key string proto=2 required
  optional bool proto=3
}

type EnvFromSource {
  prefix string proto=1
  configMapRef ConfigMapEnvSource proto=2
  secretRef SecretEnvSource proto=3
}

type ConfigMapEnvSource {
  LocalObjectReference proto=1
  optional bool proto=2
}

type SecretEnvSource {
  LocalObjectReference proto=1
  optional bool proto=2
}

type ResourceRequirements {
  limits ResourceList proto=1
  requests ResourceList proto=2
  claims []ResourceClaim proto=3 listType=map listMapKeys=name
}

type ResourceClaim {
  name string proto=1 required
  request string proto=2
}

type ContainerResizePolicy {
  resourceName string proto=1 required
  restartPolicy string proto=2 required
}

type VolumeMount {
  name string proto=1 required
  readOnly bool proto=2
  recursiveReadOnly string proto=7
  mountPath string proto=3 required
  subPath string proto=4
  mountPropagation string proto=5
  subPathExpr string proto=6
}

type VolumeDevice {
  name string proto=1 required
  devicePath string proto=2 required
}

type Probe {
  ProbeHandler proto=1
  initialDelaySeconds int32 proto=2
  timeoutSeconds int32 proto=3
  periodSeconds int32 proto=4
  successThreshold int32 proto=5
  failureThreshold int32 proto=6
  terminationGracePeriodSeconds int64 proto=7
}

type ProbeHandler {
  exec ExecAction proto=1
  httpGet HTTPGetAction proto=2
  tcpSocket TCPSocketAction proto=3
  grpc GRPCAction proto=4
}

type ExecAction {
  command []string proto=1 listType=atomic
}

type HTTPGetAction {
  path string proto=1
  port IntOrString proto=2 required
  host string proto=3
  scheme string proto=4
  httpHeaders []HTTPHeader proto=5 listType=atomic
}

type HTTPHeader {
  name string proto=1 required
  value string proto=2 required
}

type TCPSocketAction {
  port IntOrString proto=1 required
  host string proto=2
}

type GRPCAction {
  port int32 proto=1 required
  service string proto=2
}

type Lifecycle {
  postStart LifecycleHandler proto=1
  preStop LifecycleHandler proto=2
  stopSignal string proto=3
}

type LifecycleHandler {
  exec ExecAction proto=1
  httpGet HTTPGetAction proto=2
  tcpSocket TCPSocketAction proto=3
  sleep SleepAction proto=4
}

type SleepAction {
  seconds int64 proto=1 required
}

// ---- volumes -------------------------------------------------------------------------------

type Volume {
  name string proto=1 required
  VolumeSource proto=2
}

type VolumeSource {
  hostPath HostPathVolumeSource proto=1
  emptyDir EmptyDirVolumeSource proto=2
  gcePersistentDisk any proto=3
  awsElasticBlockStore any proto=4
  gitRepo any proto=5
  secret SecretVolumeSource proto=6
  nfs NFSVolumeSource proto=7
  iscsi any proto=8
  glusterfs any proto=9
  persistentVolumeClaim PersistentVolumeClaimVolumeSource proto=10
  rbd any proto=11
  flexVolume any proto=12
  cinder any proto=13
  cephfs any proto=14
  flocker any proto=15
  downwardAPI DownwardAPIVolumeSource proto=16
  fc any proto=17
  azureFile any proto=18
  configMap ConfigMapVolumeSource proto=19
  vsphereVolume any proto=20
  quobyte any proto=21
  azureDisk any proto=22
  photonPersistentDisk any proto=23
  projected ProjectedVolumeSource proto=26
  portworxVolume any proto=24
  scaleIO any proto=25
  storageos any proto=27
  csi CSIVolumeSource proto=28
  ephemeral EphemeralVolumeSource proto=29
  image ImageVolumeSource proto=30
}

type HostPathVolumeSource {
  path string proto=1 required
  type string proto=2
}

type EmptyDirVolumeSource {
  medium string proto=1
  sizeLimit Quantity proto=2
}

type KeyToPath {
  key string proto=1 required
  path string proto=2 required
  mode int32 proto=3
}

type SecretVolumeSource {
  secretName string proto=1
  items []KeyToPath proto=2 listType=atomic
  defaultMode int32 proto=3
  optional bool proto=4
}

type ConfigMapVolumeSource {
  LocalObjectReference proto=1
  items []KeyToPath proto=2 listType=atomic
  defaultMode int32 proto=3
  optional bool proto=4
}

type NFSVolumeSource {
  server string proto=1 required
  path string proto=2 required
  readOnly bool proto=3
}

type PersistentVolumeClaimVolumeSource {
  claimName string proto=1 required
  readOnly bool proto=2
}

type DownwardAPIVolumeSource {
  items []DownwardAPIVolumeFile proto=1 listType=atomic
  defaultMode int32 proto=2
}

type DownwardAPIVolumeFile {
  path string proto=1 required
  fieldRef ObjectFieldSelector proto=2
  resourceFieldRef ResourceFieldSelector proto=3
  mode int32 proto=4
}

type ProjectedVolumeSource {
  sources []VolumeProjection proto=1 listType=atomic
  defaultMode int32 proto=2
}

type VolumeProjection {
  secret SecretProjection proto=1
  downwardAPI DownwardAPIProjection proto=2
  configMap ConfigMapProjection proto=3
  serviceAccountToken ServiceAccountTokenProjection proto=4
  clusterTrustBundle ClusterTrustBundleProjection proto=5
}

type SecretProjection {
  LocalObjectReference proto=1
  items []KeyToPath proto=2 listType=atomic
  optional bool proto=4
}

type ConfigMapProjection {
  LocalObjectReference proto=1
  items []KeyToPath proto=2 listType=atomic
  optional bool proto=4
}

type DownwardAPIProjection {
  items []DownwardAPIVolumeFile proto=1 listType=atomic
}

type ServiceAccountTokenProjection {
  audience string proto=1
  expirationSeconds int64 proto=2
  path string proto=3 required
}

type ClusterTrustBundleProjection {
  name string proto=1
  signerName string proto=2
  labelSelector meta.LabelSelector proto=3
  optional bool proto=5
  path string proto=4 required
}

type CSIVolumeSource {
  driver string proto=1 required
  readOnly bool proto=2
  fsType string proto=3
  volumeAttributes map[string]string proto=4
  nodePublishSecretRef LocalObjectReference proto=5
}

type EphemeralVolumeSource {
  volumeClaimTemplate PersistentVolumeClaimTemplate proto=1
}

type PersistentVolumeClaimTemplate {
  metadata meta.ObjectMeta proto=1
  spec PersistentVolumeClaimSpec proto=2 required
}

type ImageVolumeSource {
  reference string proto=1
  pullPolicy PullPolicy proto=2
}

// ---- pod status ----------------------------------------------------------------------------

type PodStatus {
  observedGeneration int64 proto=17
  phase string proto=1
  conditions []PodCondition proto=2 patchStrategy=merge patchMergeKey=type listType=map listMapKeys=type
  message string proto=3
  reason string proto=4
  nominatedNodeName string proto=11
  hostIP string proto=5
  hostIPs []HostIP proto=16 patchStrategy=merge patchMergeKey=ip listType=atomic
  podIP string proto=6
  podIPs []PodIP proto=12 patchStrategy=merge patchMergeKey=ip listType=map listMapKeys=ip
  startTime Time proto=7
  initContainerStatuses []ContainerStatus proto=10 listType=atomic
  containerStatuses []ContainerStatus proto=8 listType=atomic
  qosClass string proto=9
  ephemeralContainerStatuses []ContainerStatus proto=13 listType=atomic
  resize string proto=14
  resourceClaimStatuses []PodResourceClaimStatus proto=15 patchStrategy=merge,retainKeys patchMergeKey=name listType=map listMapKeys=name
}

type PodCondition {
  type string proto=1 required
  observedGeneration int64 proto=7
  status string proto=2 required
  lastProbeTime Time proto=3
  lastTransitionTime Time proto=4
  reason string proto=5
  message string proto=6
}

type HostIP {
  ip string proto=1 required
}

type PodIP {
  ip string proto=1 required
}

type PodResourceClaimStatus {
  name string proto=1 required
  resourceClaimName string proto=2
}

type ContainerStatus {
  name string proto=1 required
  state ContainerState proto=2
  lastState ContainerState proto=3
  ready bool proto=4 required
  restartCount int32 proto=5 required
  image string proto=6 required
  imageID string proto=7 required
  containerID string proto=8
  started bool proto=9
  allocatedResources ResourceList proto=10
  resources ResourceRequirements proto=11
  volumeMounts []VolumeMountStatus proto=12 patchStrategy=merge patchMergeKey=mountPath listType=map listMapKeys=mountPath
  user ContainerUser proto=13
  allocatedResourcesStatus []ResourceStatus proto=14 patchStrategy=merge patchMergeKey=name listType=map listMapKeys=name
  stopSignal string proto=15
}

type ContainerState {
  waiting ContainerStateWaiting proto=1
  running ContainerStateRunning proto=2
  terminated ContainerStateTerminated proto=3
}

type ContainerStateWaiting {
  reason string proto=1
  message string proto=2
}

type ContainerStateRunning {
  startedAt Time proto=1
}

type ContainerStateTerminated {
  exitCode int32 proto=1 required
  signal int32 proto=2
  reason string proto=3
  message string proto=4
  startedAt Time proto=5
  finishedAt Time proto=6
  containerID string proto=7
}

type VolumeMountStatus {
  name string proto=1 required
  mountPath string proto=2 required
  readOnly bool proto=3
  recursiveReadOnly string proto=4
}

type ContainerUser {
  linux LinuxContainerUser proto=1
}

type LinuxContainerUser {
  uid int64 proto=1 required
  gid int64 proto=2 required
  supplementalGroups []int64 proto=3 listType=atomic
}

type ResourceStatus {
  name string proto=1 required
  resources []ResourceHealth proto=2 listType=map listMapKeys=resourceID
}

type ResourceHealth {
  resourceID string proto=1 required
  health string proto=2
}

type Binding {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  target ObjectReference proto=2 required
}

// ---- Node ----------------------------------------------------------------------------------

type Node {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  spec NodeSpec proto=2
  status NodeStatus proto=3
}

type NodeSpec {
  podCIDR string proto=1
  podCIDRs []string proto=7 patchStrategy=merge listType=set
  providerID string proto=3
  unschedulable bool proto=4
  taints []Taint proto=5 listType=atomic
  configSource any proto=6
  externalID string proto=2
}

type Taint {
  key string proto=1 required
  value string proto=2
  effect string proto=3 required
  timeAdded Time proto=4
}

type NodeStatus {
  capacity ResourceList proto=1
  allocatable ResourceList proto=2
  phase string proto=3
  conditions []NodeCondition proto=4 patchStrategy=merge patchMergeKey=type listType=map listMapKeys=type
  addresses []NodeAddress proto=5 patchStrategy=merge patchMergeKey=type listType=map listMapKeys=type
  daemonEndpoints NodeDaemonEndpoints proto=6
  nodeInfo NodeSystemInfo proto=7
  images []ContainerImage proto=8 listType=atomic
  volumesInUse []string proto=9 listType=atomic
  volumesAttached []AttachedVolume proto=10 listType=atomic
  config any proto=11
  runtimeHandlers []NodeRuntimeHandler proto=12 listType=atomic
  features NodeFeatures proto=13
}

type NodeCondition {
  type string proto=1 required
  status string proto=2 required
  lastHeartbeatTime Time proto=3
  lastTransitionTime Time proto=4
  reason string proto=5
  message string proto=6
}

type NodeAddress {
  type string proto=1 required
  address string proto=2 required
}

type NodeDaemonEndpoints {
  kubeletEndpoint DaemonEndpoint proto=1
}

// The one Kubernetes field whose JSON name is capitalized.
type DaemonEndpoint {
  Port int32 proto=1 required
}

type NodeSystemInfo {
  machineID string proto=1 required
  systemUUID string proto=2 required
  bootID string proto=3 required
  kernelVersion string proto=4 required
  osImage string proto=5 required
  containerRuntimeVersion string proto=6 required
  kubeletVersion string proto=7 required
  kubeProxyVersion string proto=8 required
  operatingSystem string proto=9 required
  architecture string proto=10 required
  swap NodeSwapStatus proto=11
}

type NodeSwapStatus {
  capacity int64 proto=1
}

type ContainerImage {
  names []string proto=1 listType=atomic
  sizeBytes int64 proto=2
}

type AttachedVolume {
  name string proto=1 required
  devicePath string proto=2 required
}

type NodeRuntimeHandler {
  name string proto=1
  features NodeRuntimeHandlerFeatures proto=2
}

type NodeRuntimeHandlerFeatures {
  recursiveReadOnlyMounts bool proto=1
  userNamespaces bool proto=2
}

type NodeFeatures {
  supplementalGroupsPolicy bool proto=1
}

// ---- Service, Endpoints --------------------------------------------------------------------

type Service {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  spec ServiceSpec proto=2
  status ServiceStatus proto=3
}

type ServiceSpec {
  ports []ServicePort proto=1 patchStrategy=merge patchMergeKey=port listType=map listMapKeys=port,protocol
  selector map[string]string proto=2
  clusterIP string proto=3
  clusterIPs []string proto=18 listType=atomic
  type string proto=4
  externalIPs []string proto=5 listType=atomic
  sessionAffinity string proto=7
  loadBalancerIP string proto=8
  loadBalancerSourceRanges []string proto=9 listType=atomic
  externalName string proto=10
  externalTrafficPolicy string proto=11
  healthCheckNodePort int32 proto=12
  publishNotReadyAddresses bool proto=13
  sessionAffinityConfig SessionAffinityConfig proto=14
  ipFamilies []string proto=19 listType=atomic
  ipFamilyPolicy string proto=17
  allocateLoadBalancerNodePorts bool proto=20
  loadBalancerClass string proto=21
  internalTrafficPolicy string proto=22
  trafficDistribution string proto=23
}

type ServicePort {
  name string proto=1
  protocol Protocol proto=2
  appProtocol string proto=6
  port int32 proto=3 required
  targetPort IntOrString proto=4
  nodePort int32 proto=5
}

type SessionAffinityConfig {
  clientIP ClientIPConfig proto=1
}

type ClientIPConfig {
  timeoutSeconds int32 proto=1
}

type ServiceStatus {
  loadBalancer LoadBalancerStatus proto=1
  conditions []meta.Condition proto=2 patchStrategy=merge patchMergeKey=type listType=map listMapKeys=type
}

type LoadBalancerStatus {
  ingress []LoadBalancerIngress proto=1 listType=atomic
}

type LoadBalancerIngress {
  ip string proto=1
  hostname string proto=2
  ipMode string proto=3
  ports []PortStatus proto=4 listType=atomic
}

type PortStatus {
  port int32 proto=1 required
  protocol Protocol proto=2 required
  error string proto=3
}

type Endpoints {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  subsets []EndpointSubset proto=2 listType=atomic
}

type EndpointSubset {
  addresses []EndpointAddress proto=1 listType=atomic
  notReadyAddresses []EndpointAddress proto=2 listType=atomic
  ports []EndpointPort proto=3 listType=atomic
}

type EndpointAddress {
  ip string proto=1 required
  hostname string proto=3
  nodeName string proto=4
  targetRef ObjectReference proto=2
}

type EndpointPort {
  name string proto=1
  port int32 proto=2 required
  protocol Protocol proto=3
  appProtocol string proto=4
}

// ---- Event ---------------------------------------------------------------------------------

type Event {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1 required
  involvedObject ObjectReference proto=2 required
  reason string proto=3
  message string proto=4
  source EventSource proto=5
  firstTimestamp Time proto=6
  lastTimestamp Time proto=7
  count int32 proto=8
  type string proto=9
  eventTime MicroTime proto=10
  series EventSeries proto=11
  action string proto=12
  related ObjectReference proto=13
  reportingComponent string proto=14
  reportingInstance string proto=15
}

type EventSource {
  component string proto=1
  host string proto=2
}

type EventSeries {
  count int32 proto=1
  lastObservedTime MicroTime proto=2
}

// ---- ConfigMap, Secret, ServiceAccount -----------------------------------------------------

type ConfigMap {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  immutable bool proto=4
  data map[string]string proto=2
  binaryData map[string]bytes proto=3
}

type Secret {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  immutable bool proto=5
  data map[string]bytes proto=2
  stringData map[string]string proto=4
  type string proto=3
}

type ServiceAccount {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  secrets []ObjectReference proto=2 patchStrategy=merge patchMergeKey=name listType=map listMapKeys=name
  imagePullSecrets []LocalObjectReference proto=3 listType=atomic
  automountServiceAccountToken bool proto=4
}

// ---- storage -------------------------------------------------------------------------------

type PersistentVolume {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  spec PersistentVolumeSpec proto=2
  status PersistentVolumeStatus proto=3
}

type PersistentVolumeSpec {
  capacity ResourceList proto=1
  PersistentVolumeSource proto=2
  accessModes []string proto=3 listType=atomic
  claimRef ObjectReference proto=4
  persistentVolumeReclaimPolicy string proto=5
  storageClassName string proto=6
  mountOptions []string proto=7 listType=atomic
  volumeMode string proto=8
  nodeAffinity VolumeNodeAffinity proto=9
  volumeAttributesClassName string proto=10
}

type PersistentVolumeSource {
  gcePersistentDisk any proto=1
  awsElasticBlockStore any proto=2
  hostPath HostPathVolumeSource proto=3
  glusterfs any proto=4
  nfs NFSVolumeSource proto=5
  rbd any proto=6
  iscsi any proto=7
  cinder any proto=8
  cephfs any proto=9
  fc any proto=10
  flocker any proto=11
  flexVolume any proto=12
  azureFile any proto=13
  vsphereVolume any proto=14
  quobyte any proto=15
  azureDisk any proto=16
  photonPersistentDisk any proto=17
  portworxVolume any proto=18
  scaleIO any proto=19
  local LocalVolumeSource proto=20
  storageos any proto=21
  csi CSIPersistentVolumeSource proto=22
}

type LocalVolumeSource {
  path string proto=1 required
  fsType string proto=2
}

type CSIPersistentVolumeSource {
  driver string proto=1 required
  volumeHandle string proto=2 required
  readOnly bool proto=3
  fsType string proto=4
  volumeAttributes map[string]string proto=5
  controllerPublishSecretRef SecretReference proto=6
  nodeStageSecretRef SecretReference proto=7
  nodePublishSecretRef SecretReference proto=8
  controllerExpandSecretRef SecretReference proto=9
  nodeExpandSecretRef SecretReference proto=10
}

type VolumeNodeAffinity {
  required NodeSelector proto=1
}

type PersistentVolumeStatus {
  phase string proto=1
  message string proto=2
  reason string proto=3
  lastPhaseTransitionTime Time proto=4
}

type PersistentVolumeClaim {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  spec PersistentVolumeClaimSpec proto=2
  status PersistentVolumeClaimStatus proto=3
}

type PersistentVolumeClaimSpec {
  accessModes []string proto=1 listType=atomic
  selector meta.LabelSelector proto=4
  resources VolumeResourceRequirements proto=2
  volumeName string proto=3
  storageClassName string proto=5
  volumeMode string proto=6
  dataSource TypedLocalObjectReference proto=7
  dataSourceRef TypedObjectReference proto=8
  volumeAttributesClassName string proto=9
}

type VolumeResourceRequirements {
  limits ResourceList proto=1
  requests ResourceList proto=2
}

type PersistentVolumeClaimStatus {
  phase string proto=1
  accessModes []string proto=2 listType=atomic
  capacity ResourceList proto=3
  conditions []PersistentVolumeClaimCondition proto=4 patchStrategy=merge patchMergeKey=type listType=map listMapKeys=type
  allocatedResources ResourceList proto=5
  allocatedResourceStatuses map[string]string proto=7
  currentVolumeAttributesClassName string proto=8
  modifyVolumeStatus ModifyVolumeStatus proto=9
}

type PersistentVolumeClaimCondition {
  type string proto=1 required
  status string proto=2 required
  lastProbeTime Time proto=3
  lastTransitionTime Time proto=4
  reason string proto=5
  message string proto=6
}

type ModifyVolumeStatus {
  targetVolumeAttributesClassName string proto=1
  status string proto=2 required
}

type TopologySelectorTerm {
  matchLabelExpressions []TopologySelectorLabelRequirement proto=1 listType=atomic
}

type TopologySelectorLabelRequirement {
  key string proto=1 required
  values []string proto=2 required listType=atomic
}

kind "" v1 Namespace Namespace
kind "" v1 Pod Pod
kind "" v1 Binding Binding
kind "" v1 Node Node
kind "" v1 Service Service
kind "" v1 Endpoints Endpoints
kind "" v1 Event Event
kind "" v1 ConfigMap ConfigMap
kind "" v1 Secret Secret
kind "" v1 ServiceAccount ServiceAccount
kind "" v1 PersistentVolume PersistentVolume
kind "" v1 PersistentVolumeClaim PersistentVolumeClaim

// ============================================================================================
package apps io.k8s.api.apps.v1
// ============================================================================================

type Deployment {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  spec DeploymentSpec proto=2
  status DeploymentStatus proto=3
}

type DeploymentSpec {
  replicas int32 proto=1
  selector meta.LabelSelector proto=2 required
  template core.PodTemplateSpec proto=3 required
  strategy DeploymentStrategy proto=4 patchStrategy=retainKeys
  minReadySeconds int32 proto=5
  revisionHistoryLimit int32 proto=6
  paused bool proto=7
  progressDeadlineSeconds int32 proto=9
}

type DeploymentStrategy {
  type string proto=1
  rollingUpdate RollingUpdateDeployment proto=2
}

type RollingUpdateDeployment {
  maxUnavailable IntOrString proto=1
  maxSurge IntOrString proto=2
}

type DeploymentStatus {
  observedGeneration int64 proto=1
  replicas int32 proto=2
  updatedReplicas int32 proto=3
  readyReplicas int32 proto=7
  availableReplicas int32 proto=4
  unavailableReplicas int32 proto=5
  terminatingReplicas int32 proto=9
  conditions []DeploymentCondition proto=6 patchStrategy=merge patchMergeKey=type listType=map listMapKeys=type
  collisionCount int32 proto=8
}

type DeploymentCondition {
  type string proto=1 required
  status string proto=2 required
  lastUpdateTime Time proto=6
  lastTransitionTime Time proto=7
  reason string proto=4
  message string proto=5
}

type ReplicaSet {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  spec ReplicaSetSpec proto=2
  status ReplicaSetStatus proto=3
}

type ReplicaSetSpec {
  replicas int32 proto=1
  minReadySeconds int32 proto=4
  selector meta.LabelSelector proto=2 required
  template core.PodTemplateSpec proto=3
}

type ReplicaSetStatus {
  replicas int32 proto=1 required
  fullyLabeledReplicas int32 proto=2
  readyReplicas int32 proto=4
  availableReplicas int32 proto=5
  terminatingReplicas int32 proto=7
  observedGeneration int64 proto=3
  conditions []ReplicaSetCondition proto=6 patchStrategy=merge patchMergeKey=type listType=map listMapKeys=type
}

type ReplicaSetCondition {
  type string proto=1 required
  status string proto=2 required
  lastTransitionTime Time proto=3
  reason string proto=4
  message string proto=5
}

kind apps v1 Deployment Deployment
kind apps v1 ReplicaSet ReplicaSet

// ============================================================================================
package autoscalingv1 io.k8s.api.autoscaling.v1
// ============================================================================================

type Scale {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  spec ScaleSpec proto=2
  status ScaleStatus proto=3
}

type ScaleSpec {
  replicas int32 proto=1
}

type ScaleStatus {
  replicas int32 proto=1 required
  selector string proto=2
}

type CrossVersionObjectReference {
  kind string proto=1 required
  name string proto=2 required
  apiVersion string proto=3
}

type HorizontalPodAutoscaler {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  spec HorizontalPodAutoscalerSpec proto=2
  status HorizontalPodAutoscalerStatus proto=3
}

type HorizontalPodAutoscalerSpec {
  scaleTargetRef CrossVersionObjectReference proto=1 required
  minReplicas int32 proto=2
  maxReplicas int32 proto=3 required
  targetCPUUtilizationPercentage int32 proto=4
}

type HorizontalPodAutoscalerStatus {
  observedGeneration int64 proto=1
  lastScaleTime Time proto=2
  currentReplicas int32 proto=3 required
  desiredReplicas int32 proto=4 required
  currentCPUUtilizationPercentage int32 proto=5
}

kind autoscaling v1 Scale Scale
kind autoscaling v1 HorizontalPodAutoscaler HorizontalPodAutoscaler

// ============================================================================================
package autoscalingv2 io.k8s.api.autoscaling.v2
// ============================================================================================

type HorizontalPodAutoscaler {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  spec HorizontalPodAutoscalerSpec proto=2
  status HorizontalPodAutoscalerStatus proto=3
}

type HorizontalPodAutoscalerSpec {
  scaleTargetRef CrossVersionObjectReference proto=1 required
  minReplicas int32 proto=2
  maxReplicas int32 proto=3 required
  metrics []MetricSpec proto=4 listType=atomic
  behavior HorizontalPodAutoscalerBehavior proto=5
}

type CrossVersionObjectReference {
  kind string proto=1 required
  name string proto=2 required
  apiVersion string proto=3
}

type MetricSpec {
  type string proto=1 required
  object ObjectMetricSource proto=2
  pods PodsMetricSource proto=3
  resource ResourceMetricSource proto=4
  containerResource ContainerResourceMetricSource proto=7
  external ExternalMetricSource proto=5
}

type ObjectMetricSource {
  describedObject CrossVersionObjectReference proto=1 required
  target MetricTarget proto=2 required
  metric MetricIdentifier proto=3 required
}

type PodsMetricSource {
  metric MetricIdentifier proto=1 required
  target MetricTarget proto=2 required
}

type ResourceMetricSource {
  name string proto=1 required
  target MetricTarget proto=2 required
}

type ContainerResourceMetricSource {
  name string proto=1 required
  target MetricTarget proto=2 required
  container string proto=3 required
}

type ExternalMetricSource {
  metric MetricIdentifier proto=1 required
  target MetricTarget proto=2 required
}

type MetricIdentifier {
  name string proto=1 required
  selector meta.LabelSelector proto=2
}

type MetricTarget {
  type string proto=1 required
  value Quantity proto=2
  averageValue Quantity proto=3
  averageUtilization int32 proto=4
}

type HorizontalPodAutoscalerBehavior {
  scaleUp HPAScalingRules proto=1
  scaleDown HPAScalingRules proto=2
}

type HPAScalingRules {
  stabilizationWindowSeconds int32 proto=3
  selectPolicy string proto=1
  policies []HPAScalingPolicy proto=2 listType=atomic
  tolerance Quantity proto=4
}

type HPAScalingPolicy {
  type string proto=1 required
  value int32 proto=2 required
  periodSeconds int32 proto=3 required
}

type HorizontalPodAutoscalerStatus {
  observedGeneration int64 proto=1
  lastScaleTime Time proto=2
  currentReplicas int32 proto=3
  desiredReplicas int32 proto=4 required
  currentMetrics []MetricStatus proto=5 listType=atomic
  conditions []HorizontalPodAutoscalerCondition proto=6 patchStrategy=merge patchMergeKey=type listType=map listMapKeys=type
}

type MetricStatus {
  type string proto=1 required
  object ObjectMetricStatus proto=2
  pods PodsMetricStatus proto=3
  resource ResourceMetricStatus proto=4
  containerResource ContainerResourceMetricStatus proto=7
  external ExternalMetricStatus proto=5
}

type ObjectMetricStatus {
  metric MetricIdentifier proto=1 required
  current MetricValueStatus proto=2 required
  describedObject CrossVersionObjectReference proto=3 required
}

type PodsMetricStatus {
  metric MetricIdentifier proto=1 required
  current MetricValueStatus proto=2 required
}

type ResourceMetricStatus {
  name string proto=1 required
  current MetricValueStatus proto=2 required
}

type ContainerResourceMetricStatus {
  name string proto=1 required
  current MetricValueStatus proto=2 required
  container string proto=3 required
}

type ExternalMetricStatus {
  metric MetricIdentifier proto=1 required
  current MetricValueStatus proto=2 required
}

type MetricValueStatus {
  value Quantity proto=1
  averageValue Quantity proto=2
  averageUtilization int32 proto=3
}

type HorizontalPodAutoscalerCondition {
  type string proto=1 required
  status string proto=2 required
  lastTransitionTime Time proto=3
  reason string proto=4
  message string proto=5
}

kind autoscaling v2 HorizontalPodAutoscaler HorizontalPodAutoscaler

// ============================================================================================
package batch io.k8s.api.batch.v1
// ============================================================================================

type Job {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  spec JobSpec proto=2
  status JobStatus proto=3
}

type JobSpec {
  parallelism int32 proto=1
  completions int32 proto=2
  activeDeadlineSeconds int64 proto=3
  podFailurePolicy PodFailurePolicy proto=11
  successPolicy SuccessPolicy proto=16
  backoffLimit int32 proto=7
  backoffLimitPerIndex int32 proto=12
  maxFailedIndexes int32 proto=13
  selector meta.LabelSelector proto=4
  manualSelector bool proto=5
  template core.PodTemplateSpec proto=6 required
  ttlSecondsAfterFinished int32 proto=8
  completionMode string proto=9
  suspend bool proto=10
  podReplacementPolicy string proto=14
  managedBy string proto=15
}

type PodFailurePolicy {
  rules []PodFailurePolicyRule proto=1 required listType=atomic
}

type PodFailurePolicyRule {
  action string proto=1 required
  onExitCodes PodFailurePolicyOnExitCodesRequirement proto=2
  onPodConditions []PodFailurePolicyOnPodConditionsPattern proto=3 listType=atomic
}

type PodFailurePolicyOnExitCodesRequirement {
  containerName string proto=1
  operator string proto=2 required
  values []int32 proto=3 required listType=set
}

type PodFailurePolicyOnPodConditionsPattern {
  type string proto=1 required
  status string proto=2
}

type SuccessPolicy {
  rules []SuccessPolicyRule proto=1 required listType=atomic
}

type SuccessPolicyRule {
  succeededIndexes string proto=1
  succeededCount int32 proto=2
}

type JobStatus {
  conditions []JobCondition proto=1 patchStrategy=merge patchMergeKey=type listType=atomic
  startTime Time proto=2
  completionTime Time proto=3
  active int32 proto=4
  succeeded int32 proto=5
  failed int32 proto=6
  terminating int32 proto=11
  completedIndexes string proto=7
  failedIndexes string proto=10
  uncountedTerminatedPods UncountedTerminatedPods proto=8
  ready int32 proto=9
}

type JobCondition {
  type string proto=1 required
  status string proto=2 required
  lastProbeTime Time proto=3
  lastTransitionTime Time proto=4
  reason string proto=5
  message string proto=6
}

type UncountedTerminatedPods {
  succeeded []string proto=1 listType=set
  failed []string proto=2 listType=set
}

type CronJob {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  spec CronJobSpec proto=2
  status CronJobStatus proto=3
}

type CronJobSpec {
  schedule string proto=1 required
  timeZone string proto=8
  startingDeadlineSeconds int64 proto=2
  concurrencyPolicy string proto=3
  suspend bool proto=4
  jobTemplate JobTemplateSpec proto=5 required
  successfulJobsHistoryLimit int32 proto=6
  failedJobsHistoryLimit int32 proto=7
}

type JobTemplateSpec {
  metadata meta.ObjectMeta proto=1
  spec JobSpec proto=2
}

type CronJobStatus {
  active []core.ObjectReference proto=1 listType=atomic
  lastScheduleTime Time proto=4
  lastSuccessfulTime Time proto=5
}

kind batch v1 Job Job
kind batch v1 CronJob CronJob

// ============================================================================================
package discovery io.k8s.api.discovery.v1
// ============================================================================================

type EndpointSlice {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  addressType string proto=4 required
  endpoints []Endpoint proto=2 required listType=atomic
  ports []EndpointPort proto=3 listType=atomic
}

type Endpoint {
  addresses []string proto=1 required listType=set
  conditions EndpointConditions proto=2
  hostname string proto=3
  targetRef core.ObjectReference proto=4
  deprecatedTopology map[string]string proto=5
  nodeName string proto=6
  zone string proto=7
  hints EndpointHints proto=8
}

type EndpointConditions {
  ready bool proto=1
  serving bool proto=2
  terminating bool proto=3
}

type EndpointHints {
  forZones []ForZone proto=1 listType=atomic
  forNodes []ForNode proto=2 listType=atomic
}

type ForZone {
  name string proto=1 required
}

type ForNode {
  name string proto=1 required
}

type EndpointPort {
  name string proto=1
  protocol core.Protocol proto=2
  port int32 proto=3
  appProtocol string proto=4
}

kind discovery.k8s.io v1 EndpointSlice EndpointSlice

// ============================================================================================
package coordination io.k8s.api.coordination.v1
// ============================================================================================

type Lease {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  spec LeaseSpec proto=2
}

type LeaseSpec {
  holderIdentity string proto=1
  leaseDurationSeconds int32 proto=2
  acquireTime MicroTime proto=3
  renewTime MicroTime proto=4
  leaseTransitions int32 proto=5
  strategy string proto=6
  preferredHolder string proto=7
}

kind coordination.k8s.io v1 Lease Lease

// ============================================================================================
package scheduling io.k8s.api.scheduling.v1
// ============================================================================================

type PriorityClass {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  value int32 proto=2 required
  globalDefault bool proto=3
  description string proto=4
  preemptionPolicy string proto=5
}

kind scheduling.k8s.io v1 PriorityClass PriorityClass

// ============================================================================================
package storage io.k8s.api.storage.v1
// ============================================================================================

type StorageClass {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  provisioner string proto=2 required
  parameters map[string]string proto=3
  reclaimPolicy string proto=4
  mountOptions []string proto=5 listType=atomic
  allowVolumeExpansion bool proto=6
  volumeBindingMode string proto=7
  allowedTopologies []core.TopologySelectorTerm proto=8 listType=atomic
}

kind storage.k8s.io v1 StorageClass StorageClass

// ============================================================================================
package policy io.k8s.api.policy.v1
// ============================================================================================

// The body of POST pods/<name>/eviction.
type Eviction {
  meta.TypeMeta
  metadata meta.ObjectMeta proto=1
  deleteOptions meta.DeleteOptions proto=2
}

kind policy v1 Eviction Eviction
)schema";
  return kSource;
}

}  // namespace mlkube::api::internal
