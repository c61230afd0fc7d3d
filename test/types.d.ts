declare module "xhr2";
declare module "tinode-sdk";
