// Whether the browser will open camera and microphone without prompting.

/** True when the browser will open the camera without asking (permission already granted). */
export async function cameraAlreadyAllowed(): Promise<boolean> {
  try {
    const [cam, mic] = await Promise.all([
      navigator.permissions.query({ name: 'camera' as PermissionName }),
      navigator.permissions.query({ name: 'microphone' as PermissionName }),
    ]);
    return cam.state === 'granted' && mic.state === 'granted';
  } catch {
    return false; // browsers without these permission names
  }
}
