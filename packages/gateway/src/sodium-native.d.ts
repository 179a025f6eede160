// The few sodium-native functions the session cookie uses (the package ships no types). A CommonJS module: its
// exports object is the default import.
declare module 'sodium-native' {
  const sodium: {
    crypto_secretbox_NONCEBYTES: number
    crypto_secretbox_MACBYTES: number
    crypto_secretbox_KEYBYTES: number
    crypto_secretbox_easy: (cipher: Buffer, message: Buffer, nonce: Buffer, key: Buffer) => void
    crypto_secretbox_open_easy: (message: Buffer, cipher: Buffer, nonce: Buffer, key: Buffer) => boolean
  }
  export default sodium
}
