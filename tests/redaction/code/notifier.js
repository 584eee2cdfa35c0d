// Discord + Telegram notifier for the nightly eval run
const { Client, GatewayIntentBits } = require("discord.js");
const sgMail = require("@sendgrid/mail");

const client = new Client({ intents: [GatewayIntentBits.Guilds] });
client.login("M15JSQkOZtHY94WA6LHHt1E0RK.ZBzj5l.FZJCIDiJJKMp0BJWY9Qq3hFAv0K");

const TELEGRAM_URL = `https://api.telegram.org/bot1905391700:AAHpmE6TCE5xC_FcuSfVZshdEIofCyOrCrt/sendMessage`;
sgMail.setApiKey("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");
const slackToken = "xoxb-412912192467-1379809907423-KoBoAlQW2v4Iw8THSRGUEBH7";
// legacy: const stripe = require("stripe")("sk_test_51zu4t3Jdpx9jzlGNJHAGXJHedO6RpcGJH2TqzACMNeetmUoRHUCUVp9tQFf7kOfb5dsXDpHrNAYIaXZUCe38eP4VsfB5pmh38g");
const stripe = require("stripe")(
  "rk_live_51Xx6T2e1Ide3c6ykX2TbKmwJ2v4Kyqi" +
  "9eF8lEuefsB3jFYG5me3v0aIe4O4PtbztX5B3cp1iDWKhohwAZYJxV7pm7O4N0GxOVf"
);
const geocodeUrl = "https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key=AIza-Kt9sbg9bAjtbDV3J7Y59r5zFa1lykVg5kp";
const DISCORD_WEBHOOK = "https://discord.com/api/webhooks/6019162432716074178/acqK_B78Tw7REGrhXSPB2Y3L72JwXMpD7P89FxJtvKh05b7Okj9l0bsS45JbueX_bEaS";

async function reportScores(scores) {
  await fetch("https://api.internal.example.com/v2/eval-runs", {
    method: "POST",
    headers: { Authorization: "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzdmMtcmVwb3J0aW5nIiwicm9sZSI6ImFkbWluIiwiaWF0IjoxNzE3NDMwNDAwLCJleHAiOjE3NDkwMDAwMDB9.LEAwm4c0hwskCM354g1vNQJ0tbpiWVL2vavMDBfCMfU", "Content-Type": "application/json" },
    body: JSON.stringify(scores),
  });
  await fetch(TELEGRAM_URL, { method: "POST", body: new URLSearchParams({ chat_id: "-1001234567", text: "eval done" }) });
}

module.exports = { reportScores };
