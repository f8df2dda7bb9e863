// The image manifest (group_vars `image`): udpcast delivers these bytes, vm-image verifies and installs them.
export interface ImageManifest {
  name: string
  version: string
  // Bytes.
  size: number
  sha256: string
  // A path on the sender (the controller unless udpcast_sender_host names a host).
  source: string
}
