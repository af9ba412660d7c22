// Vite's `?url` imports (the bundled pdfjs worker): the module's default export is the asset's URL.
declare module '*?url' {
  const url: string;
  export default url;
}
